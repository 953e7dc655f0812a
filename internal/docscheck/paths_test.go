package docscheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// homeDirRe matches a path into one machine's home directory (/root/…, /home/<user>/…,
// /Users/<user>/…), which is right on no one else's machine.
var homeDirRe = regexp.MustCompile(`(^|[\s"'(=])(/root/|/home/[a-z_][a-z0-9_-]*/|/Users/[A-Za-z][^/\s]*/)`)

// What a reader copies from the documentation works on their machine: no page names a path into
// the home directory of the machine it was written on; examples use placeholders such as
// <GOPATH>/bin.
func TestDocumentationNamesNoMachinesHome(t *testing.T) {
	root := repoRoot(t)
	files := markdownFiles(t, filepath.Join(root, "docs"))
	files = append(files, markdownFiles(t, filepath.Join(root, "templates"))...)
	files = append(files, markdownFiles(t, filepath.Join(root, "examples"))...)
	files = append(files, filepath.Join(root, "README.md"), filepath.Join(root, "CONTRIBUTING.md"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		for i, line := range strings.Split(string(b), "\n") {
			if m := homeDirRe.FindStringSubmatch(line); m != nil {
				t.Errorf("%s:%d names %s…, a home directory of one machine; use a placeholder: %s",
					rel, i+1, m[2], strings.TrimSpace(line))
			}
		}
	}
}
