// Package maintest tests an example program as its user runs it: the test
// binary re-executes itself as the program (Main, called from TestMain,
// runs the program's main instead of the tests), so flags, exit status,
// stdout and stderr are checked without building anything. Check holds
// the conventions every example keeps.
package maintest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// env marks a re-executed test binary that is to run the program.
const env = "RSMI_EXAMPLE_MAIN"

// Main runs the program's main and exits if the test binary was started by
// Run; otherwise it runs the tests. Call it from TestMain.
func Main(m *testing.M, main func()) {
	if os.Getenv(env) == "1" {
		// the testing package's flags are not the program's
		flag.CommandLine = flag.NewFlagSet(os.Args[0], flag.ExitOnError)
		flag.CommandLine.Usage = func() { flag.Usage() }
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Result is what a run of the program printed and how it ended.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run runs the program with args in dir and returns its output and exit
// status.
func Run(t testing.TB, dir string, args ...string) Result {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env+"=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return Result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// Conventions describes what Check runs.
type Conventions struct {
	// Usage is the start of the first line -h prints (what the program
	// does).
	Usage string
	// Outdir is the flag naming where the program writes its files
	// ("-outdir", or "-out" for a file), checked before any computation.
	Outdir string
	// Small are flags for a run of a few seconds at most.
	Small []string
	// Stages are texts the progress lines of the Small run must show.
	Stages []string
}

// Check runs the program as a user does and checks the conventions of the
// examples:
//
//   - -h prints one line saying what the program does, then the flags;
//   - a positional argument is refused (exit status 1, the argument named);
//   - an output directory that cannot be written is refused before any
//     computation: the error names the flag, and no progress line was
//     printed;
//   - with -json, stdout holds exactly one line, a JSON object, and stderr
//     the progress lines (every Stage among them);
//   - with -q as well, stderr is empty.
func Check(t *testing.T, c Conventions) {
	t.Helper()
	dir := t.TempDir()
	r := Run(t, dir, "-h")
	if first, _, _ := strings.Cut(r.Stderr, "\n"); r.Code != 0 || !strings.HasPrefix(first, c.Usage) || !strings.Contains(r.Stderr, "Usage of") {
		t.Errorf("-h: exit %d, output starts %q; want exit 0, the line %q, then the flags", r.Code, first, c.Usage)
	}
	r = Run(t, dir, append(c.Small, "64")...)
	if r.Code != 1 || !strings.Contains(r.Stderr, `unexpected argument "64"`) {
		t.Errorf("a positional argument: exit %d, stderr %q; want exit 1 naming it", r.Code, r.Stderr)
	}
	missing := filepath.Join(dir, "missing", "sub")
	if c.Outdir == "-out" {
		missing = filepath.Join(missing, "x.npy")
	}
	r = Run(t, dir, append(c.Small, c.Outdir, missing)...)
	if r.Code != 1 || !strings.Contains(r.Stderr, c.Outdir) || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("%s %s: exit %d, stderr %q; want exit 1 and one line naming %s, before any computation", c.Outdir, missing, r.Code, r.Stderr, c.Outdir)
	}
	r = Run(t, dir, append(c.Small, "-json")...)
	var obj map[string]any
	if r.Code != 0 || strings.Count(r.Stdout, "\n") != 1 || json.Unmarshal([]byte(r.Stdout), &obj) != nil {
		t.Fatalf("-json: exit %d, stdout %q, stderr %s; want one JSON line on stdout", r.Code, r.Stdout, r.Stderr)
	}
	for _, s := range c.Stages {
		if !strings.Contains(r.Stderr, s) {
			t.Errorf("-json: no progress line with %q on stderr:\n%s", s, r.Stderr)
		}
	}
	q := Run(t, dir, append(c.Small, "-json", "-q")...)
	if q.Code != 0 || q.Stderr != "" || q.Stdout != r.Stdout {
		t.Errorf("-json -q: exit %d, stderr %q, stdout %q; want no stderr and the same JSON line %q", q.Code, q.Stderr, q.Stdout, r.Stdout)
	}
}
