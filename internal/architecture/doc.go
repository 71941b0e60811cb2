// Package architecture holds the test of the import rule that docs/architecture.md states:
// every package of the module in one layer (commands, steps, domain, formats) or outside them
// (testutil, checks), and each production import pointing at the same layer or one below.
// The test reads the rule from the document's tables, so the document is the one place to
// change when a package moves.
package architecture
