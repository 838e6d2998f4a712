package cli

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoArgs checks that a positional argument is named in an error
// (issue 14.9: `go run ./examples/ising2d 64` used to run the defaults).
func TestNoArgs(t *testing.T) {
	defer func(c *flag.FlagSet) { flag.CommandLine = c }(flag.CommandLine)
	flag.CommandLine = flag.NewFlagSet("x", flag.ContinueOnError)
	flag.Int("L", 32, "")
	if err := flag.CommandLine.Parse([]string{"-L", "8"}); err != nil {
		t.Fatal(err)
	}
	if err := NoArgs(); err != nil {
		t.Errorf("flags only: %v", err)
	}
	if err := flag.CommandLine.Parse([]string{"-L", "8", "64"}); err != nil {
		t.Fatal(err)
	}
	if err := NoArgs(); err == nil || !strings.Contains(err.Error(), `"64"`) {
		t.Errorf("positional 64: error %v, want one naming it", err)
	}
}

// TestOutdir checks that an unwritable -outdir is an error naming it.
func TestOutdir(t *testing.T) {
	dir := t.TempDir()
	if err := Outdir(dir); err != nil {
		t.Errorf("writable dir: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("Outdir left %d files behind", len(left))
	}
	bad := filepath.Join(dir, "missing", "x")
	if err := Outdir(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("missing dir: error %v, want one naming %s", err, bad)
	}
}

// TestProgramsUseParse checks that every example program parses its
// command line with Parse (which refuses positional arguments) and that the
// programs writing figures check -outdir before computing (issue 14.9).
func TestProgramsUseParse(t *testing.T) {
	mains, err := filepath.Glob("../../*/main.go")
	if err != nil || len(mains) < 5 {
		t.Fatalf("found %d example programs (%v)", len(mains), err)
	}
	for _, p := range mains {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		if strings.Contains(src, "flag.Parse()") && !strings.Contains(src, "cli.NoArgs()") {
			t.Errorf("%s calls flag.Parse without refusing positional arguments (use cli.Parse)", p)
		}
		if strings.Contains(src, `"outdir"`) && !strings.Contains(src, "cli.Outdir(") {
			t.Errorf("%s has -outdir but does not check it before computing (cli.Outdir)", p)
		}
	}
}

// TestPositive checks that a count set to 0 on the command line is refused
// by name (rgflow -n 0 used to run the default 200000 configurations),
// while unset flags keep their zero "default" value.
func TestPositive(t *testing.T) {
	defer func(c *flag.FlagSet) { flag.CommandLine = c }(flag.CommandLine)
	flag.CommandLine = flag.NewFlagSet("x", flag.ContinueOnError)
	flag.Int("n", 0, "")
	flag.Int("learn", 0, "")
	flag.Int("seed", 0, "")
	if err := flag.CommandLine.Parse([]string{"-seed", "0"}); err != nil {
		t.Fatal(err)
	}
	if err := Positive("n", "learn"); err != nil {
		t.Errorf("unset flags: %v", err)
	}
	if err := flag.CommandLine.Parse([]string{"-n", "0", "-learn", "-3"}); err != nil {
		t.Fatal(err)
	}
	if err := Positive("n", "learn"); err == nil || !strings.Contains(err.Error(), "-n 0") || !strings.Contains(err.Error(), "-learn -3") {
		t.Errorf("-n 0 -learn -3: error %v, want one naming both", err)
	}
}
