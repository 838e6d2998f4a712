package readme_test

import (
	"fmt"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// examplesDoc is the generated list of the module's Example functions.
const examplesDoc = "docs/examples.md"

// TestExamplesDoc keeps docs/examples.md, the list of every Example
// function of the module (go doc does not show them), equal to what the
// test files hold: package, function, source file, whether it is runnable
// (has an // Output: comment) and the first sentence of its comment. With
// RSMI_UPDATE_DOCS=1 it rewrites the file instead of failing.
func TestExamplesDoc(t *testing.T) {
	want, err := examplesMarkdown(".")
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("RSMI_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(examplesDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(examplesDoc)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is out of date with the Example functions; regenerate it with\n\tRSMI_UPDATE_DOCS=1 go test -run '^TestExamplesDoc$' .\nwant:\n%s", examplesDoc, want)
	}
}

// example is one Example function found in a test file.
type example struct {
	pkg, name, file, synopsis string
	runnable                  bool
}

// examplesMarkdown returns docs/examples.md for the module rooted at root.
func examplesMarkdown(root string) (string, error) {
	exs, err := findExamples(root)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(`# Runnable examples

Every ` + "`Example`" + ` function of the module's packages, generated from the test files by
` + "`TestExamplesDoc`" + ` (` + "`readme_test`" + `, at the repository root), which fails when this list is out of date;
` + "`RSMI_UPDATE_DOCS=1 go test -run '^TestExamplesDoc$' .`" + ` rewrites it. ` + "`go doc`" + ` does not show
examples: read them in the file named, browse them with pkgsite (see the README), or run one with
its package and name, e.g.

` + "```sh\ngo test ./sample -run '^ExampleCollect$' -v\n```" + `

`)
	fmt.Fprintf(&b, "%d examples; runnable ones check their printed output against their `// Output:` comment in `go test ./...`.\n\n", len(exs))
	b.WriteString("| package | example | file | what it shows |\n|---|---|---|---|\n")
	for _, e := range exs {
		syn := e.synopsis
		if !e.runnable {
			syn = "(compiled, not run) " + syn
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | [%s](../%s) | %s |\n", e.pkg, e.name, filepath.Base(e.file), e.file, syn)
	}
	return b.String(), nil
}

// findExamples parses every _test.go file under root (skipping hidden
// directories and testdata) and returns its Example functions, sorted by
// package and name.
func findExamples(root string) ([]example, error) {
	var exs []example
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		pkg := "./" + filepath.ToSlash(filepath.Dir(path))
		if filepath.Dir(path) == "." {
			pkg = "."
		}
		for _, ex := range doc.Examples(f) {
			exs = append(exs, example{pkg: pkg, name: "Example" + ex.Name, file: filepath.ToSlash(path),
				synopsis: synopsis(ex.Name, ex.Doc), runnable: ex.Output != "" || ex.EmptyOutput})
		}
		return nil
	})
	slices.SortFunc(exs, func(a, b example) int {
		return strings.Compare(a.pkg+" "+a.name, b.pkg+" "+b.name)
	})
	return exs, err
}

// synopsis is the first sentence of an Example's comment, without the
// function's name if the comment starts with it, capitalized, with table
// bars escaped.
func synopsis(name, text string) string {
	s := new(doc.Package).Synopsis(text)
	s = strings.TrimPrefix(s, "Example"+name+" ")
	if r, n := utf8.DecodeRuneInString(s); n > 0 {
		s = string(unicode.ToUpper(r)) + s[n:]
	}
	if s == "" {
		s = "—"
	}
	return strings.ReplaceAll(s, "|", `\|`)
}
