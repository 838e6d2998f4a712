package exponent

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/lattice"
)

const (
	streamKind    = "exponent.MCRGStream"
	streamVersion = 1
)

// fingerprint lists what a saved state must share with the stream that
// restores it, as (name, value) pairs.
func (st *MCRGStream) fingerprint() [][2]string {
	o := &st.o
	var ops strings.Builder
	var enc ckpt.Enc
	for _, op := range append(append([]lattice.Operator(nil), o.Even...), o.Odd...) {
		fmt.Fprintf(&ops, "%s ", op.Name)
		for _, p := range op.Patterns {
			enc.Int(len(p))
			for _, d := range p {
				for _, x := range d {
					enc.Int(x)
				}
			}
		}
	}
	enc.Int(len(o.Even))
	var seeds ckpt.Enc
	for _, s := range st.seeds {
		seeds.U64(s[0])
		seeds.U64(s[1])
	}
	fp := [][2]string{
		{"configurations", fmt.Sprint(st.n)},
		{"lattice extents", fmt.Sprint(st.lat.Extents())},
		{"block side", fmt.Sprint(o.B)},
		{"levels", fmt.Sprint(o.Levels)},
		{"first level", fmt.Sprint(o.FirstLevel)},
		{"jackknife blocks", fmt.Sprint(o.Blocks)},
		{"rules", fmt.Sprint(len(st.rules))},
		{"operators", fmt.Sprintf("%s(patterns %08x)", ops.String(), ckpt.CRC(enc.B))},
		{"random seeds", fmt.Sprintf("%08x (another random source?)", ckpt.CRC(seeds.B))},
	}
	if st.q > 0 { // ±1 states keep their earlier fingerprint
		fp = append(fp, [2]string{"states", fmt.Sprintf("0 … %d", st.q-1)})
	}
	return fp
}

// MarshalBinary returns the state of the stream: its position, the random
// stream of a chunk in progress and the moments, with a fingerprint of its
// inputs and a checksum. The rules themselves are not saved.
func (st *MCRGStream) MarshalBinary() ([]byte, error) {
	if st.broken != nil {
		return nil, st.broken
	}
	var e ckpt.Enc
	fp := st.fingerprint()
	e.Int(len(fp))
	for _, f := range fp {
		e.String(f[0])
		e.String(f[1])
	}
	e.Int(st.done)
	for _, c := range st.cur {
		e.Bool(c != nil)
		if c != nil {
			b, err := c.MarshalBinary()
			if err != nil {
				return nil, err
			}
			e.Bytes(b)
		}
	}
	for _, levels := range st.mom {
		for _, m := range levels {
			e.Int(len(m))
			for _, v := range m {
				e.U64(v.lo)
				e.U64(uint64(v.hi))
			}
		}
	}
	return ckpt.Encode(streamKind, streamVersion, e.B), nil
}

// UnmarshalBinary restores a state written by MarshalBinary into a stream
// built by NewMCRGStream with the same lattice, number of configurations,
// rules, options and random source; the next Add continues at Done(). A
// state of another stream (different inputs or seed) is an error naming the
// difference, a corrupt one an error wrapping ckpt.ErrCorrupt; either leaves
// the stream unchanged. The rules are not in the state: resuming with other
// rules of the same count is not detected.
func (st *MCRGStream) UnmarshalBinary(data []byte) error {
	payload, err := ckpt.Decode(data, streamKind, streamVersion)
	if err != nil {
		return fmt.Errorf("exponent: MCRG stream state: %w", err)
	}
	// Semantic checks record the first failure with d.Fail; reads after a
	// failure return zero values, and sizes come from this stream, never
	// from the data.
	d := ckpt.Dec{B: payload}
	corrupt := func(format string, a ...any) {
		d.Fail(fmt.Errorf("%w: "+format, append([]any{ckpt.ErrCorrupt}, a...)...))
	}
	fp := st.fingerprint()
	if n := d.Int(); n != len(fp) {
		corrupt("%d fingerprint fields, want %d", n, len(fp))
	}
	for _, f := range fp {
		if name, val := d.String(), d.String(); name != f[0] || val != f[1] {
			d.Fail(fmt.Errorf("the state is for %s %s, this stream has %s %s", name, val, f[0], f[1]))
		}
	}
	done := d.Int()
	if done < 0 || done > st.n {
		corrupt("position %d outside [0, %d]", done, st.n)
	}
	cur := make([]*rand.PCG, len(st.rules))
	for r := range cur {
		if has := d.Bool(); has != (done%chunkRows != 0) {
			corrupt("rule %d: chunk stream present = %v at position %d", r, has, done)
		} else if has {
			cur[r] = new(rand.PCG)
			if err := cur[r].UnmarshalBinary(d.Bytes()); err != nil {
				corrupt("rule %d chunk stream: %v", r, err)
			}
		}
	}
	mom := make([][][]int128, len(st.mom))
	for r, levels := range st.mom {
		for _, m := range levels {
			if n := d.Int(); n != len(m) {
				corrupt("%d moments, want %d", n, len(m))
			}
			x := make([]int128, len(m))
			for i := range x {
				x[i].lo, x[i].hi = d.U64(), int64(d.U64())
			}
			mom[r] = append(mom[r], x)
		}
	}
	if err := d.Err(); err != nil {
		return fmt.Errorf("exponent: MCRG stream state: %w", err)
	}
	st.done, st.cur, st.mom = done, cur, mom
	return nil
}
