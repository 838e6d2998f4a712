package ckpt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/internal/size"
	"github.com/rsmi-go/rsmi/internal/size/sizetest"
)

// sparseFile creates path holding prefix followed by zeros up to n bytes (a
// sparse file: no disk space is used for the zeros).
func sparseFile(t *testing.T, path string, prefix []byte, n int64) {
	t.Helper()
	if err := os.WriteFile(path, prefix, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, n); err != nil {
		t.Fatal(err)
	}
}

// TestReadChecksHeaderFirst checks issue 14.4: Read checks the magic, kind,
// version and declared length against the file's size before it reads (and
// allocates) the file.
func TestReadChecksHeaderFirst(t *testing.T) {
	dir := t.TempDir()
	const big = 256 << 20
	good := Encode("test", 3, []byte("payload"))
	hdr := good[:len(good)-len("payload")-4] // header announcing 7 bytes
	huge := append(bytes.Clone(hdr[:len(hdr)-8]), binary.LittleEndian.AppendUint64(nil, 1<<40)...)
	for _, c := range []struct {
		name   string
		prefix []byte
		n      int64
		want   string
	}{
		{"not a checkpoint", []byte("garbage!"), big, "bad magic"},
		{"other kind", Encode("other", 3, nil), big, `"other" state`},
		{"other version", Encode("test", 9, nil), big, "version 9"},
		{"file longer than declared", hdr, big, "trailing bytes"},
		{"declared longer than file", huge, 4096, "announces 1099511627776 payload bytes"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_"))
		sparseFile(t, path, c.prefix, c.n)
		var err error
		a := sizetest.Allocated(func() { _, err = Read(path, "test", 3) })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		if a > 1<<20 {
			t.Errorf("%s: refusing a %d-byte file allocated %d bytes", c.name, c.n, a)
		}
	}
	// An I/O error is not reported as a corrupt checkpoint.
	if _, err := Read(dir, "test", 3); err == nil || errors.Is(err, ErrCorrupt) {
		t.Errorf("reading a directory: %v, want an I/O error", err)
	}
	// Within the declared length and the file size, the budget applies.
	path := filepath.Join(dir, "budget")
	if err := Write(path, "test", 3, make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	defer size.SetBudget(size.SetBudget(1024))
	if _, err := Read(path, "test", 3); err == nil || !strings.Contains(err.Error(), "memory budget") {
		t.Errorf("checkpoint over the budget: %v", err)
	}
}

// TestWriteRemovesOrphans checks issue 14.8: temporaries of the same
// checkpoint left by a write that was killed are removed by the next Write,
// and nothing else is.
func TestWriteRemovesOrphans(t *testing.T) {
	dir := t.TempDir()
	orphans := []string{".x.ckpt.tmp123456789", ".x.ckpt.tmp42"}
	keep := []string{".y.ckpt.tmp123", ".x.ckpt.tmpnot-digits", "x.ckpt.tmp5", ".x.ckpt.tmp", ".x.ckpt.tmp7.bak", "notes.txt"}
	for _, name := range append(append([]string{}, orphans...), keep...) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("half a checkpoint"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Write(filepath.Join(dir, "x.ckpt"), "test", 1, []byte("state")); err != nil {
		t.Fatal(err)
	}
	for _, name := range orphans {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("orphan %s not removed (%v)", name, err)
		}
	}
	for _, name := range keep {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s removed: %v", name, err)
		}
	}
	if p, err := Read(filepath.Join(dir, "x.ckpt"), "test", 1); err != nil || string(p) != "state" {
		t.Errorf("checkpoint after the clean-up: %q, %v", p, err)
	}
}

// TestWriteAtomic checks the generic atomic writer: a failing write leaves
// the previous file and no temporary.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data.npy")
	if err := WriteAtomic(path, func(w io.Writer) error { _, err := w.Write([]byte("old")); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := WriteAtomic(path, func(w io.Writer) error { w.Write([]byte("new")); return boom }); err != boom {
		t.Errorf("failing write: error %v, want the callback's error as is", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("after a failed write the file holds %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("files left: %v", ents)
	}
}
