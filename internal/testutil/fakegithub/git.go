package fakegithub

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path"
	"sort"
	"strings"

	"github.com/imagegrid/imagegrid/internal/testutil/githubcontract"
)

// RuleViolationCreateMessage is GitHub's answer to creating a ref that a ruleset restricts.
const RuleViolationCreateMessage = "Repository rule violations found\n\nCannot create ref due to creations being restricted.\n\n"

func (s *Server) getRef(w http.ResponseWriter, r *http.Request, docs string) {
	ref := r.PathValue("ref")
	sha, ok := s.refs[ref]
	if !ok {
		fail(w, http.StatusNotFound, docs, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, s.refJSON(ref, sha))
}

func (s *Server) createRef(w http.ResponseWriter, r *http.Request, docs string) {
	var in struct{ Ref, SHA string }
	if json.NewDecoder(r.Body).Decode(&in) != nil || !strings.HasPrefix(in.Ref, "refs/") || strings.Count(in.Ref, "/") < 2 {
		fail(w, http.StatusUnprocessableEntity, docs, "Reference name must start with 'refs/' and have at least two slashes.")
		return
	}
	ref := strings.TrimPrefix(in.Ref, "refs/")
	if s.restricted[strings.TrimPrefix(ref, "heads/")] {
		fail(w, http.StatusUnprocessableEntity, docs, RuleViolationCreateMessage)
		return
	}
	if _, ok := s.refs[ref]; ok {
		fail(w, http.StatusUnprocessableEntity, docs, "Reference already exists")
		return
	}
	if _, ok := s.commits[in.SHA]; !ok {
		fail(w, http.StatusUnprocessableEntity, docs, "Object does not exist")
		return
	}
	s.refs[ref] = in.SHA
	w.Header().Set("Location", s.url("/git/refs/%s", ref))
	writeJSON(w, http.StatusCreated, s.refJSON(ref, in.SHA))
}

func (s *Server) updateRef(w http.ResponseWriter, r *http.Request, docs string) {
	ref := r.PathValue("ref")
	var in struct {
		SHA   string
		Force bool
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, docs, "Problems parsing JSON")
		return
	}
	old, ok := s.refs[ref]
	if !ok {
		fail(w, http.StatusUnprocessableEntity, docs, "Reference does not exist")
		return
	}
	if s.restricted[strings.TrimPrefix(ref, "heads/")] {
		fail(w, http.StatusUnprocessableEntity, docs, RuleViolationMessage)
		return
	}
	if _, ok := s.commits[in.SHA]; !ok {
		fail(w, http.StatusUnprocessableEntity, docs, "Object does not exist")
		return
	}
	if !in.Force && !s.descends(in.SHA, old) {
		fail(w, http.StatusUnprocessableEntity, docs, "Update is not a fast forward")
		return
	}
	s.refs[ref] = in.SHA
	writeJSON(w, http.StatusOK, s.refJSON(ref, in.SHA))
}

// descends reports whether commit sha has ancestor among its ancestors (or is it).
func (s *Server) descends(sha, ancestor string) bool {
	for queue := []string{sha}; len(queue) > 0; queue = queue[1:] {
		if queue[0] == ancestor {
			return true
		}
		queue = append(queue, s.commits[queue[0]].Parents...)
	}
	return false
}

func (s *Server) getCommit(w http.ResponseWriter, r *http.Request, docs string) {
	if _, ok := s.commits[r.PathValue("sha")]; !ok {
		fail(w, http.StatusNotFound, docs, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, s.commitJSON(r.PathValue("sha")))
}

func (s *Server) createCommit(w http.ResponseWriter, r *http.Request, docs string) {
	var in struct {
		Message string
		Tree    string
		Parents []string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, docs, "Problems parsing JSON")
		return
	}
	if _, ok := s.trees[in.Tree]; !ok {
		fail(w, http.StatusUnprocessableEntity, docs, "Tree SHA does not exist")
		return
	}
	for _, p := range in.Parents {
		if _, ok := s.commits[p]; !ok {
			fail(w, http.StatusUnprocessableEntity, docs, "Parent SHA does not exist or is not a commit object")
			return
		}
	}
	sha := s.putCommit(commit{Tree: in.Tree, Message: in.Message, Parents: in.Parents})
	w.Header().Set("Location", s.url("/git/commits/%s", sha))
	writeJSON(w, http.StatusCreated, s.commitJSON(sha))
}

// treeEntries lists a stored tree as GitHub does: its files and folders, and with recursive
// everything below them too, sorted by path. A folder is a tree entry whose sha is the
// subtree of its files (stored, so that it can be read in turn).
func (s *Server) treeEntries(sha string, recursive bool) []map[string]any {
	t := s.trees[sha]
	dirs := map[string]map[string]entry{}
	var out []map[string]any
	for p, e := range t {
		dir, file := path.Split(p)
		if !recursive {
			if first, rest, ok := strings.Cut(p, "/"); ok {
				if dirs[first] == nil {
					dirs[first] = map[string]entry{}
				}
				dirs[first][rest] = e
				continue
			}
			dir, file = "", p
		} else {
			for d := strings.TrimSuffix(dir, "/"); d != ""; d = path.Dir(d) {
				if dirs[d] == nil {
					dirs[d] = map[string]entry{}
				}
				dirs[d][strings.TrimPrefix(p, d+"/")] = e
				if !strings.Contains(d, "/") {
					break
				}
			}
		}
		out = append(out, map[string]any{"path": dir + file, "mode": e.Mode, "type": "blob", "sha": e.SHA,
			"size": len(s.blobs[e.SHA]), "url": s.url("/git/blobs/%s", e.SHA)})
	}
	for d, files := range dirs {
		sub := s.putTree(files)
		out = append(out, map[string]any{"path": d, "mode": "040000", "type": "tree", "sha": sub, "url": s.url("/git/trees/%s", sub)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["path"].(string) < out[j]["path"].(string) })
	return out
}

// getTree serves a tree; ?recursive= (any value, as GitHub reads it) lists everything below
// it, truncated past the tree limit as GitHub truncates large trees.
func (s *Server) getTree(w http.ResponseWriter, r *http.Request, docs string) {
	sha := r.PathValue("sha")
	if _, ok := s.trees[sha]; !ok {
		fail(w, http.StatusNotFound, docs, "Not Found")
		return
	}
	entries := s.treeEntries(sha, r.URL.Query().Has("recursive"))
	truncated := len(entries) > s.treeLimit
	if truncated {
		entries = entries[:s.treeLimit]
	}
	writeJSON(w, http.StatusOK, map[string]any{"sha": sha, "url": s.url("/git/trees/%s", sha), "tree": entries, "truncated": truncated})
}

func (s *Server) createTree(w http.ResponseWriter, r *http.Request, docs string) {
	var in struct {
		BaseTree string `json:"base_tree"`
		Tree     []struct {
			Path, Mode, Type string
			SHA              *string
			Content          *string
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, docs, "Problems parsing JSON")
		return
	}
	tree := map[string]entry{}
	if in.BaseTree != "" {
		base, ok := s.trees[in.BaseTree]
		if !ok {
			fail(w, http.StatusUnprocessableEntity, docs, "base_tree is not a valid tree oid")
			return
		}
		tree = clone(base)
	}
	for _, e := range in.Tree {
		// Blobs only: files (100644, 100755) and symbolic links (120000, the target as
		// content), as GitHub's "Create a tree" takes them; the fake keeps no subtrees or
		// submodules.
		if e.Mode != "100644" && e.Mode != "100755" && e.Mode != "120000" || e.Type != "blob" {
			validationFailed(w, docs, FieldError{Resource: "Tree", Field: "tree", Code: "invalid",
				Message: "the fake stores blobs only: mode 100644, 100755 or 120000, type blob"})
			return
		}
		switch {
		case e.Content != nil:
			tree[e.Path] = entry{Mode: e.Mode, SHA: s.putBlob([]byte(*e.Content))}
		case e.SHA == nil:
			delete(tree, e.Path)
		default:
			if _, ok := s.blobs[*e.SHA]; !ok {
				fail(w, http.StatusUnprocessableEntity, docs, "tree.sha "+*e.SHA+" is not a valid blob")
				return
			}
			tree[e.Path] = entry{Mode: e.Mode, SHA: *e.SHA}
		}
	}
	sha := s.putTree(tree)
	w.Header().Set("Location", s.url("/git/trees/%s", sha))
	writeJSON(w, http.StatusCreated, map[string]any{"sha": sha, "url": s.url("/git/trees/%s", sha),
		"tree": s.treeEntries(sha, true), "truncated": false})
}

func (s *Server) getBlob(w http.ResponseWriter, r *http.Request, docs string) {
	sha := r.PathValue("sha")
	data, ok := s.blobs[sha]
	if !ok {
		fail(w, http.StatusNotFound, docs, "Not Found")
		return
	}
	if strings.Contains(r.Header.Get("Accept"), ".raw") {
		w.Header().Set("Content-Type", githubcontract.RawMediaType) // what GitHub answers an Accept of a raw media type
		w.Write(data)
		return
	}
	// GitHub wraps the base64 content at 60 characters a line.
	enc := base64.StdEncoding.EncodeToString(data)
	var lines []string
	for len(enc) > 60 {
		lines, enc = append(lines, enc[:60]), enc[60:]
	}
	writeJSON(w, http.StatusOK, map[string]any{"sha": sha, "node_id": "B_" + sha, "url": s.url("/git/blobs/%s", sha),
		"size": len(data), "encoding": "base64", "content": strings.Join(append(lines, enc), "\n") + "\n"})
}

func (s *Server) createBlob(w http.ResponseWriter, r *http.Request, docs string) {
	var in struct{ Content, Encoding string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, docs, "Problems parsing JSON")
		return
	}
	data := []byte(in.Content)
	if in.Encoding == "base64" {
		var err error
		if data, err = base64.StdEncoding.DecodeString(in.Content); err != nil {
			validationFailed(w, docs, FieldError{Resource: "Blob", Field: "content", Code: "invalid", Message: "content is not valid Base64"})
			return
		}
	}
	sha := s.putBlob(data)
	w.Header().Set("Location", s.url("/git/blobs/%s", sha))
	writeJSON(w, http.StatusCreated, map[string]any{"sha": sha, "url": s.url("/git/blobs/%s", sha)})
}
