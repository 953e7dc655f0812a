package docscheck

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// Every relative link in the documentation points at a file that exists, and every #anchor at a
// heading of that file (as GitHub and the Terraform Registry name headings).
func TestDocumentationLinksResolve(t *testing.T) {
	root := repoRoot(t)
	files := markdownFiles(t, filepath.Join(root, "docs"))
	if len(files) < 10 {
		t.Fatalf("found only %d markdown files under docs/", len(files))
	}
	files = append(files, filepath.Join(root, "README.md"), filepath.Join(root, "CONTRIBUTING.md"))
	anchors := map[string]map[string]bool{}
	checked := 0
	for _, f := range files {
		for _, l := range markdownLinks(t, f) {
			rel, _ := filepath.Rel(root, f)
			target, frag, _ := strings.Cut(l.target, "#")
			file := f
			if target != "" {
				file = filepath.Join(filepath.Dir(f), filepath.FromSlash(target))
			}
			if _, err := os.Stat(file); err != nil {
				t.Errorf("%s:%d: the link %q points at %s, which does not exist", rel, l.line, l.target, target)
				continue
			}
			checked++
			if frag == "" || !strings.HasSuffix(file, ".md") {
				continue
			}
			if anchors[file] == nil {
				anchors[file] = headingAnchors(t, file)
			}
			if !anchors[file][frag] {
				t.Errorf("%s:%d: the link %q names the anchor #%s, which is no heading of %s",
					rel, l.line, l.target, frag, filepath.Base(file))
			}
		}
	}
	if checked == 0 {
		t.Fatal("no relative link found: the scan no longer finds what it checks")
	}
}

func markdownFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".md") || strings.HasSuffix(p, ".md.tmpl")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

type mdLink struct {
	target string
	line   int
}

// linkRe matches an inline link or image, [text](target) or ![alt](target "title").
var linkRe = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)

// markdownLinks returns the relative link targets of a markdown file, outside code blocks and
// code spans.
func markdownLinks(t *testing.T, file string) []mdLink {
	t.Helper()
	var links []mdLink
	forEachProseLine(t, file, func(n int, line string) {
		for _, m := range linkRe.FindAllStringSubmatch(stripCodeSpans(line), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			links = append(links, mdLink{target: target, line: n})
		}
	})
	return links
}

// anchorTagRe matches an HTML anchor, as tfplugindocs writes before nested schemas.
var anchorTagRe = regexp.MustCompile(`<a id="([^"]+)"></a>`)

// headingAnchors returns the anchors of a markdown file: its HTML anchors, and its headings
// lower-cased, punctuation dropped, spaces as hyphens, and -1, -2… appended to repeats.
func headingAnchors(t *testing.T, file string) map[string]bool {
	t.Helper()
	anchors := map[string]bool{}
	seen := map[string]int{}
	forEachProseLine(t, file, func(_ int, line string) {
		for _, m := range anchorTagRe.FindAllStringSubmatch(line, -1) {
			anchors[m[1]] = true
		}
		text, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " ")
		if !ok || !strings.HasPrefix(line, "#") {
			return
		}
		a := headingAnchor(text)
		if n := seen[a]; n > 0 {
			anchors[a+"-"+itoa(n)] = true
		} else {
			anchors[a] = true
		}
		seen[a]++
	})
	return anchors
}

func headingAnchor(text string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(text)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

var codeSpanRe = regexp.MustCompile("`[^`]*`")

func stripCodeSpans(line string) string { return codeSpanRe.ReplaceAllString(line, "") }

// forEachProseLine calls f with each line (1-based) of the file outside fenced code blocks.
func forEachProseLine(t *testing.T, file string, f func(n int, line string)) {
	t.Helper()
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fh.Close() }()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	fence := ""
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case fence == "" && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")):
			fence = trimmed[:3]
		case fence != "" && strings.HasPrefix(trimmed, fence):
			fence = ""
		case fence == "":
			f(n, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}
