package rsmi

import (
	"fmt"

	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/internal/size"
	"github.com/rsmi-go/rsmi/rbm"
)

// rowSym is a symmetry (ExactVOptions.Symmetries) acting on the Θ-RBM's
// rows (v, e) in the RBM's alphabet: the position of the image of every
// block and environment dof, the map of values, and the image of every
// block state.
type rowSym struct {
	vpos, epos []int
	value      [256]int8
	vstate     []int32
}

// rowAlphabet returns the values of the Θ-RBM's rows of the pairs p: the
// pairs' States, or for ±1 pairs {0, 1} (rbm.Binary) or ±1 (rbm.Spin).
func rowAlphabet(p *Pairs, units rbm.Units) []int8 {
	switch {
	case !isSpins(p.States):
		return p.States
	case units == rbm.Binary:
		return []int8{0, 1}
	}
	return spinStates
}

// rowSymmetries prepares syms (validated) for rows of the pairs p with the
// given alphabet.
func rowSymmetries(syms []PairSymmetry, p *Pairs, alphabet []int8) []rowSym {
	if len(syms) == 0 {
		return nil
	}
	q := len(alphabet)
	S := ipow(q, p.NV)
	out := make([]rowSym, len(syms))
	for k, sym := range syms {
		f := &out[k]
		f.vpos, f.epos, f.vstate = make([]int, p.NV), make([]int, p.NE), make([]int32, S)
		for a, x := range alphabet {
			f.value[uint8(x)] = alphabet[permAt(sym.States, a)]
		}
		for i := range f.vpos {
			f.vpos[i] = permAt(sym.V, i)
		}
		for i := range f.epos {
			f.epos[i] = permAt(sym.E, i)
		}
		for s := range f.vstate {
			img, r := 0, s
			for i := 0; i < p.NV; i++ {
				img += permAt(sym.States, r%q) * ipow(q, f.vpos[i])
				r /= q
			}
			f.vstate[s] = int32(img)
		}
	}
	return out
}

// permAt returns g[i], or i for the identity g = nil.
func permAt(g []int, i int) int {
	if g == nil {
		return i
	}
	return g[i]
}

// apply writes the image of the row (v, e) of nv block dofs into dst.
func (f *rowSym) apply(dst, row []int8, nv int) {
	for i, x := range row[:nv] {
		dst[f.vpos[i]] = f.value[uint8(x)]
	}
	for i, x := range row[nv:] {
		dst[nv+f.epos[i]] = f.value[uint8(x)]
	}
}

// augmentRows returns the images of the n rows of nx values under every
// symmetry, symmetry-major (the Θ-RBM's contrastive-divergence data).
func augmentRows(rows []int8, nv, nx int, syms []rowSym) ([]int8, error) {
	n := len(rows) / nx
	total, err := size.Elements(fmt.Sprintf("rsmi: the Θ-RBM's training data of %d pairs under %d symmetries", n, len(syms)), 1, n, nx, len(syms))
	if err != nil {
		return nil, err
	}
	out := make([]int8, total)
	for g := range syms {
		for k := 0; k < n; k++ {
			o := (g*n + k) * nx
			syms[g].apply(out[o:o+nx], rows[k*nx:(k+1)*nx], nv)
		}
	}
	return out, nil
}

// symCRC identifies the symmetries for checkpoint fingerprints.
func symCRC(syms []rowSym) uint32 {
	var e ckpt.Enc
	for _, f := range syms {
		e.I32s(f.vstate)
		for _, x := range f.epos {
			e.Int(x)
		}
	}
	return ckpt.CRC(e.B)
}

// image returns the data row and the block-state counts of environment
// index k = g·len(envs) + e: those of distinct environment e of the pairs,
// or their image under symmetry g (written into sc).
func (t *fineTuner) image(sc *ftScratch, k int) ([]int8, []float64) {
	n := len(t.envs)
	g, e := k/n, k%n
	row := t.data[t.envs[e]*t.nx : (t.envs[e]+1)*t.nx]
	cnt := t.vcount[e*t.S : (e+1)*t.S]
	if t.syms == nil {
		return row, cnt
	}
	f := &t.syms[g]
	f.apply(sc.row, row, t.nv)
	for s, c := range cnt {
		sc.cnt[f.vstate[s]] = c
	}
	return sc.row, sc.cnt
}
