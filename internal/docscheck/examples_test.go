package docscheck

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// A SendGrid account holds one custom field of a name (ignoring case), and an export is known by
// its list and name. The examples take the list as a variable, so someone trying them one after
// the other on one account may well give them all the same list: every custom field an example
// creates, every export it defines and every list it creates by name must therefore be its own.
func TestExamplesDoNotCollide(t *testing.T) {
	root := repoRoot(t)
	kinds := map[string]string{ // resource type => what its name is
		"sendgridaudience_custom_field": "custom field",
		"sendgridaudience_export":       "export",
		"sendgridaudience_list_binding": "list",
	}
	owners := map[string][]string{} // kind + lower-cased name => "file (resource address)"
	files := exampleFiles(t, root)
	if len(files) < 10 {
		t.Fatalf("found only %d .tf files under examples/", len(files))
	}
	for _, f := range files {
		body := parseHCL(t, f)
		vars := variableDefaults(body)
		for _, b := range body.Blocks {
			if b.Type != "resource" || len(b.Labels) != 2 {
				continue
			}
			kind, ok := kinds[b.Labels[0]]
			if !ok {
				continue
			}
			name, ok := literalName(b.Body, vars)
			if !ok {
				continue // a list bound by list_id, or a name the example does not fix
			}
			rel, _ := filepath.Rel(root, f)
			key := kind + " " + strings.ToLower(name)
			owners[key] = append(owners[key], rel+" ("+b.Labels[0]+"."+b.Labels[1]+")")
		}
	}
	keys := make([]string, 0, len(owners))
	for k := range owners {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(owners[k]) > 1 {
			t.Errorf("%s is defined by %d examples, which collide when applied to one SendGrid account: %s",
				k, len(owners[k]), strings.Join(owners[k], ", "))
		}
	}
	for _, want := range []string{"custom field lifetime_value", "export newsletter"} {
		if _, ok := owners[want]; !ok {
			t.Errorf("no example defines %s: the scan of examples/ no longer finds what it checks", want)
		}
	}
}

func exampleFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(root, "examples"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".terraform" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".tf") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func parseHCL(t *testing.T, file string) *hclsyntax.Body {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, file, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("%s: %s", file, diags.Error())
	}
	return f.Body.(*hclsyntax.Body)
}

// variableDefaults returns the string defaults of the file's variables.
func variableDefaults(body *hclsyntax.Body) map[string]cty.Value {
	vars := map[string]cty.Value{}
	for _, b := range body.Blocks {
		if b.Type != "variable" || len(b.Labels) != 1 {
			continue
		}
		if a, ok := b.Body.Attributes["default"]; ok {
			if v, diags := a.Expr.Value(nil); !diags.HasErrors() && v.Type() == cty.String {
				vars[b.Labels[0]] = v
			}
		}
	}
	return vars
}

// literalName evaluates the block's name attribute when it is a string literal or a variable
// with a default.
func literalName(body *hclsyntax.Body, vars map[string]cty.Value) (string, bool) {
	a, ok := body.Attributes["name"]
	if !ok {
		return "", false
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(vars)}}
	v, diags := a.Expr.Value(ctx)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

// repoRoot is the directory holding go.mod, above the test's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}
