package sample

import (
	"bytes"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
)

func TestGeometryJSONKinds(t *testing.T) {
	d, _ := lattice.NewDimer(4, lattice.DimerOptions{NoiseSpins: true})
	var buf bytes.Buffer
	if err := WriteGeometry(&buf, d.Geometry()); err != nil {
		t.Fatal(err)
	}
	g, err := ReadGeometry(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !g.Equal(d.Geometry()) {
		t.Fatal("dimer geometry with kinds does not survive the JSON round trip")
	}
}
