// The README's API tour is a complete program: TestReadmeTour builds and
// runs it as a user would, saved as main.go in a fresh module that requires
// this one.
package readme_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tourOutput is what the tour prints.
const tourOutput = "block spin: true MI > 0.4 bit: true coarse: [8 8]\n"

// TestReadmeTour writes the README's Go block as main.go into a temporary
// module that requires this checkout (a replace directive; the
// requirements and go.sum are this module's, so nothing is downloaded),
// runs it with go run, and checks its output.
func TestReadmeTour(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src := between(string(readme), "```go\n", "```")
	if !strings.HasPrefix(src, "package main\n") || !strings.Contains(src, "\nfunc main() {\n") {
		t.Fatalf("README's API tour is not a complete program (package main with func main):\n%s", src)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the tour: %v", err)
	}
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := writeTourModule(dir, root, src); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goTool, "run", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != tourOutput {
		t.Errorf("the README's tour, run as a program: %v\n%s\nwant %q", err, out, tourOutput)
	}
}

// writeTourModule writes main.go, go.mod and go.sum of a module that
// requires the module in root (replaced by root) with root's requirements.
func writeTourModule(dir, root, src string) error {
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		return err
	}
	var header, reqs []string
	inReq := false
	for _, l := range strings.Split(string(mod), "\n") {
		switch {
		case strings.HasPrefix(l, "module "):
			header = append(header, "module tour")
		case strings.HasPrefix(l, "go ") || strings.HasPrefix(l, "toolchain "):
			header = append(header, l)
		case strings.HasPrefix(l, "require"):
			inReq = strings.HasSuffix(l, "(")
			reqs = append(reqs, l)
		case inReq:
			reqs = append(reqs, l)
			inReq = strings.TrimSpace(l) != ")"
		}
	}
	gomod := strings.Join(header, "\n") + "\n\nrequire github.com/rsmi-go/rsmi v0.0.0\n\nreplace github.com/rsmi-go/rsmi => " + root + "\n\n" + strings.Join(reqs, "\n") + "\n"
	for name, data := range map[string]string{"go.mod": gomod, "go.sum": string(sum), "main.go": src} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	j := strings.Index(s, end)
	if j < 0 {
		return ""
	}
	return s[:j]
}
