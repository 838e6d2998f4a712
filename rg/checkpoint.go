package rg

import (
	"encoding"
	"errors"
	"fmt"

	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

const (
	flowKind    = "rg.Flow"
	flowVersion = 1
)

// randState is a random source whose state can be saved (rand.PCG and
// rand.ChaCha8 are).
type randState interface {
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// flowFingerprint identifies the inputs of a Flow run.
type flowFingerprint struct {
	b       int
	extents []int
	rows    int
	dataCRC uint32
	ops     string // operators and fit options
	seed    []byte // the source's state at the start
}

func (f *flowFingerprint) encode(e *ckpt.Enc) {
	e.Int(f.b)
	e.Int(len(f.extents))
	for _, x := range f.extents {
		e.Int(x)
	}
	e.Int(f.rows)
	e.Int(int(f.dataCRC))
	e.String(f.ops)
	e.Bytes(f.seed)
}

func decodeFlowFingerprint(d *ckpt.Dec) flowFingerprint {
	var f flowFingerprint
	f.b = d.Int()
	n := d.Int()
	if n < 0 || n > 8 {
		d.Fail(fmt.Errorf("%w: %d axes", ckpt.ErrCorrupt, n))
		n = 0
	}
	f.extents = make([]int, n)
	for i := range f.extents {
		f.extents[i] = d.Int()
	}
	f.rows = d.Int()
	f.dataCRC = uint32(d.Int())
	f.ops = d.String()
	f.seed = d.Bytes()
	return f
}

func (f *flowFingerprint) mismatch(g *flowFingerprint) string {
	switch {
	case f.b != g.b:
		return fmt.Sprintf("block side %d, this run %d", f.b, g.b)
	case fmt.Sprint(f.extents) != fmt.Sprint(g.extents) || f.rows != g.rows || f.dataCRC != g.dataCRC:
		return fmt.Sprintf("data of %d configurations on %v (CRC %08x), this run %d on %v (CRC %08x)",
			f.rows, f.extents, f.dataCRC, g.rows, g.extents, g.dataCRC)
	case f.ops != g.ops:
		return "different operators or fit options"
	case string(f.seed) != string(g.seed):
		return "a different random seed"
	}
	return ""
}

func opsID(ops []lattice.Operator, fit *FitOptions) string {
	s := fmt.Sprint(ops)
	if fit != nil {
		s += fmt.Sprintf(" fit %+v", *fit)
	}
	return s
}

// encodeRule writes the rules Flow can checkpoint: Majority, Decimation and
// FilterRule.
func encodeRule(e *ckpt.Enc, r Rule) error {
	switch r := r.(type) {
	case Majority:
		e.String("majority")
	case Decimation:
		e.String("decimation")
	case FilterRule:
		if r.Filter == nil {
			return errors.New("rg: cannot checkpoint a FilterRule without a filter")
		}
		e.String("filter")
		e.Bool(r.Stochastic)
		e.Int(r.Filter.NH)
		e.Int(r.Filter.NV)
		e.F64s(r.Filter.W)
		e.Bool(r.Filter.Bias != nil)
		e.F64s(r.Filter.Bias)
	default:
		return fmt.Errorf("rg: cannot checkpoint a rule of type %T (only Majority, Decimation and FilterRule)", r)
	}
	return nil
}

func decodeRule(d *ckpt.Dec) Rule {
	switch k := d.String(); k {
	case "majority":
		return Majority{}
	case "decimation":
		return Decimation{}
	case "filter":
		r := FilterRule{Stochastic: d.Bool()}
		f := &rsmi.Filter{NH: d.Int(), NV: d.Int(), W: d.F64s()}
		hasBias := d.Bool()
		f.Bias = d.F64s()
		if !hasBias {
			f.Bias = nil
		}
		if err := f.Validate(); err != nil {
			d.Fail(fmt.Errorf("%w: %v", ckpt.ErrCorrupt, err))
			return nil
		}
		r.Filter = f
		return r
	default:
		d.Fail(fmt.Errorf("%w: unknown rule %q", ckpt.ErrCorrupt, k))
		return nil
	}
}

func encodeCouplings(e *ckpt.Enc, c *Couplings) {
	e.Bool(c != nil)
	if c == nil {
		return
	}
	e.Int(len(c.Names))
	for _, n := range c.Names {
		e.String(n)
	}
	e.F64s(c.K)
	e.F64s(c.StdErr)
	e.F64(c.NegLogPL)
}

func decodeCouplings(d *ckpt.Dec) *Couplings {
	if !d.Bool() {
		return nil
	}
	n := d.Int()
	if n < 0 || n > len(d.B) {
		d.Fail(fmt.Errorf("%w: %d operator names", ckpt.ErrCorrupt, n))
		return nil
	}
	c := &Couplings{Names: make([]string, n)}
	for i := range c.Names {
		c.Names[i] = d.String()
	}
	c.K, c.StdErr, c.NegLogPL = d.F64s(), d.F64s(), d.F64()
	if len(c.K) != n || len(c.StdErr) != n {
		d.Fail(fmt.Errorf("%w: couplings do not match their names", ckpt.ErrCorrupt))
	}
	return c
}

// flowLevelState is one saved level (≥ 1).
type flowLevelState struct {
	rule      Rule
	mi        float64
	data      []int8
	couplings *Couplings
}

type flowState struct {
	fp     flowFingerprint
	src    []byte // the source's state after the last saved level
	fit0   *Couplings
	levels []flowLevelState
}

func (s *flowState) encode() ([]byte, error) {
	var e ckpt.Enc
	s.fp.encode(&e)
	e.Bytes(s.src)
	encodeCouplings(&e, s.fit0)
	e.Int(len(s.levels))
	for _, lv := range s.levels {
		if err := encodeRule(&e, lv.rule); err != nil {
			return nil, err
		}
		e.F64(lv.mi)
		e.I8s(lv.data)
		encodeCouplings(&e, lv.couplings)
	}
	return e.B, nil
}

func decodeFlowState(p []byte) (*flowState, error) {
	d := &ckpt.Dec{B: p}
	s := &flowState{fp: decodeFlowFingerprint(d)}
	s.src = d.Bytes()
	s.fit0 = decodeCouplings(d)
	n := d.Int()
	if n < 1 || n > 64 {
		d.Fail(fmt.Errorf("%w: %d levels", ckpt.ErrCorrupt, n))
		n = 0
	}
	for range n {
		var lv flowLevelState
		lv.rule = decodeRule(d)
		lv.mi = d.F64()
		lv.data = d.I8s()
		lv.couplings = decodeCouplings(d)
		s.levels = append(s.levels, lv)
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	if s.fp.b < 1 || s.fp.rows < 1 {
		return nil, fmt.Errorf("%w: block side %d, %d configurations", ckpt.ErrCorrupt, s.fp.b, s.fp.rows)
	}
	return s, nil
}

// rebuild reconstructs the levels 1… of s on top of level 0, checking every
// saved dataset against its lattice.
func (s *flowState) rebuild(levels []FlowLevel, b int) ([]FlowLevel, error) {
	for i, lv := range s.levels {
		n := i + 1
		prev := levels[n-1]
		if lv.rule.Outputs() != 1 {
			return nil, fmt.Errorf("%w: level %d has a rule with %d outputs", ckpt.ErrCorrupt, n, lv.rule.Outputs())
		}
		bl, err := NewBlocking(prev.Lattice, b, lv.rule)
		if err != nil {
			return nil, fmt.Errorf("level %d: %w", n, err)
		}
		g := bl.Geometry()
		if len(lv.data) != prev.Data.N*g.NumDOF() {
			return nil, fmt.Errorf("%w: level %d holds %d values, want %d×%d", ckpt.ErrCorrupt, n, len(lv.data), prev.Data.N, g.NumDOF())
		}
		for _, x := range lv.data {
			if x != 1 && x != -1 {
				return nil, fmt.Errorf("%w: level %d holds the value %d", ckpt.ErrCorrupt, n, x)
			}
		}
		ds, err := sample.NewDataset(g, lv.data)
		if err != nil {
			return nil, err
		}
		levels = append(levels, FlowLevel{Level: n, Lattice: bl.Coarse(), Data: ds, Rule: lv.rule, MI: lv.mi, Couplings: lv.couplings})
	}
	return levels, nil
}
