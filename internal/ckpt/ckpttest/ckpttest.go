// Package ckpttest holds the test harness shared by the packages'
// checkpoint tests: it runs a training in a child test process and kills it
// with SIGKILL at an arbitrary moment after its first checkpoint, feeds a
// resume damaged checkpoint files, and checks that a resume with another
// budget is refused.
package ckpttest

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/run"
)

// KillAfterCheckpoint re-executes the test binary running only the test
// child, with env set to dir (the child trains into dir while env is set and
// skips otherwise), waits until dir/file exists, lets the child run on for
// delay — so that the kill may land anywhere, also while it writes the next
// checkpoint — and kills it with SIGKILL. The child paces its training with
// Pace, so that it is still running when the kill comes however long this
// process is kept from running on a busy machine; nothing here depends on
// how long the child takes (a child that exits before its first checkpoint
// fails the test with its output).
func KillAfterCheckpoint(t *testing.T, child, env, dir, file string, delay time.Duration) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$")
	cmd.Env = append(os.Environ(), env+"="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	path := filepath.Join(dir, file)
	for !ckpt.Exists(path) {
		select {
		case err := <-exited:
			t.Fatalf("the child exited (%v) before writing %s:\n%s", err, file, out.String())
		case <-time.After(time.Millisecond):
		}
	}
	time.Sleep(delay)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	<-exited
}

// Pace returns the progress callback of a child of KillAfterCheckpoint: it
// pauses for pause after every report, so that the kill lands at an
// arbitrary step, and at the report of step Total−1 it stops for good, so
// that the child never finishes on its own and the resumed run always has
// work left.
func Pace(pause time.Duration) run.ProgressFunc {
	return func(p run.Progress) {
		for p.Total > 0 && p.Done >= p.Total-1 {
			time.Sleep(time.Hour) // until the SIGKILL
		}
		time.Sleep(pause)
	}
}

// RefusesCorrupt overwrites the checkpoint file at path with damaged copies
// of its content — truncated, one byte flipped, empty, another format
// version — and requires resume, a call that resumes from path, to fail
// with an error saying what is wrong ("truncated", "checksum", "bad magic",
// "version"). It restores the file afterwards.
func RefusesCorrupt(t *testing.T, path string, resume func() error) {
	t.Helper()
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer os.WriteFile(path, good, 0o644)
	kindLen := int(binary.LittleEndian.Uint16(good[8:]))
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", good[:len(good)/2], "truncated"},
		{"flipped byte", func() []byte { b := bytes.Clone(good); b[len(b)/2] ^= 1; return b }(), "checksum"},
		{"empty", nil, "bad magic"},
		{"other version", func() []byte { b := bytes.Clone(good); b[8+2+kindLen]++; return b }(), "version"},
	} {
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := resume(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s checkpoint: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

// RefusesOtherTotal runs a computation of total steps to its end with
// checkpoints (run(total, false)), then resumes it asking for other steps
// (run(other, true)) and requires an error naming both numbers: a resumed
// run never returns the result of a longer or shorter one.
func RefusesOtherTotal(t *testing.T, run func(total int, resume bool) error, total, other int) {
	t.Helper()
	if err := run(total, false); err != nil {
		t.Fatal(err)
	}
	err := run(other, true)
	if err == nil {
		t.Fatalf("resuming a finished run of %d steps with %d: no error", total, other)
	}
	for _, n := range []int{total, other} {
		if !strings.Contains(err.Error(), " "+strconv.Itoa(n)+" ") && !strings.HasSuffix(err.Error(), " "+strconv.Itoa(n)) {
			t.Errorf("resuming a finished run of %d steps with %d: error %q does not name %d", total, other, err, n)
		}
	}
}
