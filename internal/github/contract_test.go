package github

import (
	"context"
	"testing"

	"github.com/imagegrid/imagegrid/internal/testutil/githubcontract"
)

// TestContract runs the client through the operations it has against the fake, with every
// request and answer checked against GitHub's REST description (newClient's transport; all
// tests of this package are checked the same way), and fails if an operation of the
// description went unexercised.
func TestContract(t *testing.T) {
	c, srv, _, _ := newClient(t)
	tr := c.transport.base.(*requestLog).base.(*githubcontract.Transport)
	ctx := context.Background()
	for _, line := range []string{"- two", "- three"} { // opens, then updates
		if _, err := c.Propose(ctx, proposal(line)); err != nil {
			t.Fatal(err)
		}
	}
	srv.SetTreeLimit(1) // and reads a truncated tree
	if _, err := c.Propose(ctx, proposal("- four")); err == nil {
		t.Error("a folder past the tree limit was read")
	}
	for _, op := range tr.Checker.Operations {
		if tr.Operations()[op] == 0 {
			t.Errorf("the client never called %s", op)
		}
	}
}
