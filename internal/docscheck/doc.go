// Package docscheck holds tests of the repository's documentation and examples, run by
// `go test ./...`: every relative link and anchor under docs/ resolves, the examples under
// examples/ can be applied to one SendGrid account without colliding with each other, and the
// getting-started guide's plan excerpts are the real output of the quickstart (see
// plan_excerpt_test.go). The package has no code outside its tests.
package docscheck
