// Package lint holds the test that holds the tree to its linters: go vet, staticcheck, deadcode
// and a cyclomatic-complexity bound, each pinned by version in lint_test.go and run with
// `go run pkg@version`, so `go test ./...` fails on any finding and names it. Findings that are
// known and waiting for a fix are listed in exclusions.txt; an exclusion that matches nothing is
// itself a finding, so the list only shrinks. See docs/architecture.md.
package lint
