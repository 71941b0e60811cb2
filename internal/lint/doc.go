// Package lint holds the test that holds the tree to its linters: go vet, staticcheck, deadcode
// and a cyclomatic-complexity bound, each pinned by version in lint_test.go and run with
// `go run pkg@version`, so `go test ./...` fails on any finding and names it. No finding is
// excused but a complex function's, by the reason in its doc comment. See docs/architecture.md.
package lint
