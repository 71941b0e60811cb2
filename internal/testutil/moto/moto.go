// Package moto runs a real moto_server (a local AWS API) for tests, and a fault proxy in
// front of it that throttles, fails and slows chosen EC2 actions the way AWS does.
package moto

import (
	"context"
	"testing"

	"github.com/imagegrid/imagegrid/internal/motoserver"
)

// Server is a moto_server listening on 127.0.0.1, stopped when the test ends.
type Server struct {
	// URL is the endpoint to give AWS clients ("http://127.0.0.1:PORT").
	URL string
}

// Start runs moto_server on a free port and waits until it answers. The test fails when
// moto_server is missing.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := motoserver.Start(context.Background())
	if err != nil {
		tb.Fatalf("the AWS tests need a real moto server: %v", err)
	}
	tb.Cleanup(s.Stop)
	return &Server{URL: s.URL}
}
