package npydata

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

func write(t *testing.T, path string, g *lattice.Geometry, data []int8) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := sample.NewDataset(g, data)
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.WriteNPY(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadSquare(t *testing.T) {
	dir := t.TempDir()
	sq, _ := lattice.NewSquare(2)
	chain, _ := lattice.NewChain(4)
	cases := []struct {
		name   string
		g      *lattice.Geometry
		in     []int8
		want   []int8 // nil: error
		errHas string
	}{
		{"pm", sq.Geometry(), []int8{1, -1, -1, 1}, []int8{1, -1, -1, 1}, ""},
		{"bits", sq.Geometry(), []int8{1, 0, 0, 1}, []int8{1, -1, -1, 1}, ""},
		{"ones", sq.Geometry(), []int8{1, 1, 1, 1}, []int8{1, 1, 1, 1}, ""},
		{"flat bits", chain.Geometry(), []int8{0, 1, 1, 1, 0, 0, 0, 1}, []int8{-1, 1, 1, 1, -1, -1, -1, 1}, ""},
		{"mixed", sq.Geometry(), []int8{1, 0, -1, 1}, nil, "element [0, 1, 0]: value -1, but element [0, 0, 1] is 0"},
		{"two", sq.Geometry(), []int8{1, -1, 2, 1}, nil, "element [0, 1, 0]: value 2 is neither a ±1 spin nor a 0/1 bit"},
	}
	for _, tc := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".npy")
		write(t, p, tc.g, tc.in)
		ds, err := LoadSquare(p)
		if tc.want == nil {
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.errHas)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if string(bytesOf(ds.Data)) != string(bytesOf(tc.want)) {
			t.Errorf("%s: read %v, want %v", tc.name, ds.Data, tc.want)
		}
		if !ds.Geom.Equal(sq.Geometry()) {
			t.Errorf("%s: geometry extents %v, want the 2×2 square", tc.name, ds.Geom.Extents())
		}
	}

	// a sidecar that says chain: not reinterpreted as a square
	p := filepath.Join(dir, "sidecar.npy")
	ds, _ := sample.NewDataset(chain.Geometry(), []int8{1, 1, -1, -1})
	if err := sample.SaveDataset(p, ds); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSquare(p); err == nil || !strings.Contains(err.Error(), "sidecar") {
		t.Errorf("chain sidecar: error %v, want one naming the sidecar", err)
	}
	// (n, 3): 3 is not a square
	p = filepath.Join(dir, "three.npy")
	c3, _ := lattice.NewChain(3)
	write(t, p, c3.Geometry(), []int8{1, 1, 1})
	if _, err := LoadSquare(p); err == nil || !strings.Contains(err.Error(), "(1, 3)") {
		t.Errorf("(1, 3): error %v", err)
	}
}

func bytesOf(x []int8) []byte {
	b := make([]byte, len(x))
	for i, v := range x {
		b[i] = byte(v)
	}
	return b
}
