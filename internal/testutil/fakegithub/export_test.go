package fakegithub

// Push commits files (path → content; "" deletes) on branch as someone else would; the
// tests of the fake use it to make branches its routes then serve.
func (s *Server) Push(branch string, files map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.push(branch, files)
}
