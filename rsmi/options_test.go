package rsmi

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestOptionsDefaultsDocumented checks the package's options convention
// against its source: every exported field of every XxxOptions struct
// states its default as "(default …)" (or, for fields declared together,
// "(defaults a, b and c)"), and nil options resolve to exactly these
// defaults in the code.
func TestOptionsDefaultsDocumented(t *testing.T) {
	resolved := map[string]any{}
	add := func(name string, v any, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		resolved[name] = v
	}
	train, err := (*TrainOptions)(nil).resolve()
	add("TrainOptions", train, err)
	exactV, err := (*ExactVOptions)(nil).resolve()
	add("ExactVOptions", exactV, err)
	proxy, err := (*RBMProxyOptions)(nil).resolve(1 << 20)
	add("RBMProxyOptions", proxy, err)
	nce, err := (*InfoNCEOptions)(nil).resolve(randomPairs(1000, 4, 6, rand.NewPCG(1, 1)))
	add("InfoNCEOptions", nce, err)
	oracle, err := (*OracleOptions)(nil).resolve()
	add("OracleOptions", oracle, err)
	best, err := (*BestOptions)(nil).resolve()
	add("BestOptions", best, err)
	add("RegionOptions", (*RegionOptions)(nil).resolve(), nil)

	docs := optionDefaults(t)
	for typ, fields := range docs {
		v, ok := resolved[typ]
		if !ok {
			t.Errorf("%s: no resolved defaults in the test", typ)
			continue
		}
		rv := reflect.ValueOf(v)
		for field, doc := range fields {
			if doc == "" {
				t.Errorf("%s.%s: no \"(default …)\" in its comment", typ, field)
				continue
			}
			if got := rv.FieldByName(field); !defaultMatches(doc, got) {
				t.Errorf("%s.%s: documented default %q, the code's is %v", typ, field, doc, got)
			}
		}
	}
	for typ := range resolved {
		if _, ok := docs[typ]; !ok {
			t.Errorf("%s: not found in the source", typ)
		}
	}
}

// optionDefaults parses the package's non-test sources and returns, per
// options struct and exported field, the text of its documented default
// ("" if there is none).
func optionDefaults(t *testing.T) map[string]map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, f := range pkgs["rsmi"].Files {
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || !strings.HasSuffix(ts.Name.Name, "Options") {
				return true
			}
			fields := map[string]string{}
			for _, fl := range ts.Type.(*ast.StructType).Fields.List {
				var names []string
				for _, id := range fl.Names {
					if id.IsExported() {
						names = append(names, id.Name)
					}
				}
				defs := defaultPhrases(fl.Doc.Text(), len(names))
				for i, name := range names {
					fields[name] = ""
					switch len(defs) {
					case len(names):
						fields[name] = defs[i]
					case 1: // one default for fields declared together
						fields[name] = defs[0]
					}
				}
			}
			out[ts.Name.Name] = fields
			return false
		})
	}
	return out
}

// defaultPhrases returns the defaults stated in doc for n fields: the
// contents of its "(default x…)" phrases, or of one "(defaults a, b and c)".
func defaultPhrases(doc string, n int) []string {
	doc = strings.Join(strings.Fields(doc), " ")
	var out []string
	for {
		i := strings.Index(strings.ToLower(doc), "(default")
		if i < 0 {
			return out
		}
		depth, j := 0, i
		for ; j < len(doc); j++ {
			if doc[j] == '(' {
				depth++
			} else if doc[j] == ')' {
				if depth--; depth == 0 {
					break
				}
			}
		}
		phrase := doc[i+len("(default") : min(j, len(doc))]
		doc = doc[min(j, len(doc)):]
		if rest, ok := strings.CutPrefix(phrase, "s "); ok && n > 1 {
			for _, p := range strings.Split(strings.ReplaceAll(rest, " and ", ", "), ", ") {
				out = append(out, strings.TrimSpace(p))
			}
			continue
		}
		out = append(out, strings.TrimSpace(phrase))
	}
}

// defaultMatches reports whether the documented default doc ("1000", "nil:
// [32, 32]", "GOMAXPROCS", "rbm.Binary, the zero value: …", "0.9") is the
// value v.
func defaultMatches(doc string, v reflect.Value) bool {
	token, rest, _ := strings.Cut(doc, ":")
	if i := strings.IndexAny(token, ",;"); i >= 0 {
		token = token[:i]
	}
	token = strings.TrimSuffix(strings.TrimSpace(token), ".")
	switch token {
	case "nil":
		switch v.Kind() {
		case reflect.Pointer, reflect.Func, reflect.Interface, reflect.Map:
			return v.IsNil()
		case reflect.Slice:
			if v.IsNil() {
				return true
			}
			want := strings.NewReplacer(",", "", ")", "").Replace(strings.TrimSpace(rest))
			return fmt.Sprint(v.Interface()) == want
		}
		return false
	case "GOMAXPROCS":
		return v.Kind() == reflect.Int && v.Int() == int64(runtime.GOMAXPROCS(0))
	case "false", "true":
		return v.Kind() == reflect.Bool && strconv.FormatBool(v.Bool()) == token
	}
	if strings.HasPrefix(token, "rbm.") {
		return strings.EqualFold("rbm."+fmt.Sprint(v.Interface()), token)
	}
	x, err := strconv.ParseFloat(token, 64)
	if err != nil {
		return false
	}
	switch v.Kind() {
	case reflect.Int:
		return float64(v.Int()) == x
	case reflect.Float64:
		return v.Float() == x
	}
	return false
}
