// Package ckpttest holds the test harness shared by the packages' kill-and-
// resume tests: it runs a training in a child test process and kills it with
// SIGKILL at an arbitrary moment after its first checkpoint.
package ckpttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rsmi-go/rsmi/internal/ckpt"
)

// KillAfterCheckpoint re-executes the test binary running only the test
// child, with env set to dir (the child trains into dir while env is set and
// skips otherwise), waits until dir/file exists, lets the child run on for
// delay — so that the kill may land anywhere, also while it writes the next
// checkpoint — and kills it with SIGKILL.
func KillAfterCheckpoint(t *testing.T, child, env, dir, file string, delay time.Duration) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$")
	cmd.Env = append(os.Environ(), env+"="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, file)
	deadline := time.Now().Add(30 * time.Second)
	for !ckpt.Exists(path) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("no checkpoint appeared within 30 s")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(delay)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()
}
