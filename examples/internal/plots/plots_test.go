package plots

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestParseScripts(t *testing.T) {
	for in, want := range map[string][]segment{
		"K_nn at T_c":  {{s: "K"}, {s: "nn", shift: -1}, {s: " at T"}, {s: "c", shift: -1}},
		"L/2^n":        {{s: "L/2"}, {s: "n", shift: 1}},
		"I_Λ(H:E)":     {{s: "I"}, {s: "Λ", shift: -1}, {s: "(H:E)"}},
		"y_{h,1} − 1":  {{s: "y"}, {s: "h,1", shift: -1}, {s: " − 1"}},
		`file\_name_`:  {{s: "file_name_"}},
		"no scripts ×": {{s: "no scripts ×"}},
	} {
		if got := parseScripts(in); !slices.Equal(got, want) {
			t.Errorf("parseScripts(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestFigures draws both kinds of figure; with PLOTS_KEEP=dir the PNGs are
// kept there to be looked at.
func TestFigures(t *testing.T) {
	dir := os.Getenv("PLOTS_KEEP")
	if dir == "" {
		dir = t.TempDir()
	}
	x := []float64{0, 1, 2, 3, 4}
	err := Lines(filepath.Join(dir, "lines.png"), "RG flow of K_nn, 2D Ising L = 64, learned 2×2 rule", "RG level n (lattice side L/2^n)",
		"effective coupling K_nn", []Series{
			{Name: "T = 2.2 (< T_c)", X: x, Y: []float64{0.45, 0.45, 0.47, 0.53, 0.65}, Err: []float64{0.001, 0.002, 0.003, 0.005, 0.01}},
			{Name: "T = 2.269 (T_c)", X: x, Y: []float64{0.44, 0.42, 0.42, 0.42, 0.42}},
			{Name: "T = 2.35 (> T_c)", X: x, Y: []float64{0.43, 0.38, 0.34, 0.3, 0.24}, Points: true},
			Ref("K_c = 0.4407", 0.4407, 0, 4),
			{Name: "exact at T_c", X: []float64{0, 4}, Y: []float64{0.42, 0.42}, Ref: true, Color: Palette(1)},
			Ref("another reference", 0.3, 0, 4),
		})
	if err != nil {
		t.Fatal(err)
	}
	err = Heatmaps(filepath.Join(dir, "heat.png"), "filters λ_i of I_Λ(H:E)", "filter weight λ_i", []Panel{
		{Title: "unit 1", Grid: [][]float64{{1, -0.5}, {0.2, 0.8}}}, {Title: "unit 2", Grid: [][]float64{{-1, 0.5}, {0, 0.3}}}})
	if err != nil {
		t.Fatal(err)
	}
	g := [][]float64{{1, -0.5, 0.3, 0}, {0.2, 0.8, -1, 0.1}, {0, 0, 0.5, -0.5}, {0.1, 0.2, 0.3, 0.4}}
	marks := []Marks{
		{Name: "site", Glyph: Dot, Cells: [][2]int{{0, 0}, {2, 0}, {0, 2}, {2, 2}}},
		{Name: "right link", Glyph: HBar, Cells: [][2]int{{1, 0}, {3, 0}, {1, 2}, {3, 2}}},
		{Name: "up link", Glyph: VBar, Cells: [][2]int{{0, 1}, {2, 1}, {0, 3}, {2, 3}}},
		{Name: "face", Glyph: Square, Cells: [][2]int{{1, 1}, {3, 1}, {1, 3}, {3, 3}}},
	}
	err = Heatmaps(filepath.Join(dir, "marks.png"), "doubled grid", "filter weight λ", []Panel{
		{Title: "unit 1", Grid: g, Marks: marks, XLabel: "X (doubled grid)", YLabel: "Y (doubled grid)"}, {Title: "unit 2", Grid: g, Marks: marks}})
	if err != nil {
		t.Fatal(err)
	}
	if err := Heatmaps(filepath.Join(dir, "empty.png"), "", "", []Panel{{Title: "empty"}}); err == nil {
		t.Error("an empty panel accepted")
	}
	if err := Lines(filepath.Join(dir, "bad.png"), "", "", "", []Series{{X: x, Y: x[:2]}}); err == nil {
		t.Error("mismatched series accepted")
	}
}
