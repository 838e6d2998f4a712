package rg

import (
	"encoding"
	"fmt"
	"slices"

	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

const (
	flowKind    = "rg.Flow"
	flowVersion = 2 // 2: ckpt.Loop payload, rules by rsmi.MarshalRule, stop reason
)

// randState is a random source whose state can be saved (rand.PCG and
// rand.ChaCha8 are).
type randState interface {
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// loop returns the resumable loop of the flow (without checkpoints if none
// are asked for).
func (f *flow) loop() (*ckpt.Loop, error) {
	l := &ckpt.Loop{Checkpoint: f.o.Checkpoint, Name: "rg-flow.ckpt", Kind: flowKind, Version: flowVersion, Total: f.total}
	if f.o.Checkpoint == nil {
		return l, nil
	}
	rs, ok := f.src.(randState)
	if !ok {
		return nil, fmt.Errorf("rg: checkpointing needs a random source whose state can be saved (encoding.BinaryMarshaler and BinaryUnmarshaler, as *rand.PCG and *rand.ChaCha8), got %T", f.src)
	}
	seed, err := rs.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("rg: saving the state of the random source: %w", err)
	}
	ds := f.res.Levels[0].Data
	fp := flowFingerprint{b: f.o.B, extents: f.res.Levels[0].Lattice.Extents(), rows: ds.N, dataCRC: ckpt.CRCInt8(ds.Data),
		states: spinsAsNil(ds.States), ops: opsID(&f.o), seed: seed}
	var e ckpt.Enc
	fp.encode(&e)
	l.Fingerprint = e.B
	l.Explain = func(saved []byte) string {
		d := &ckpt.Dec{B: saved}
		old := decodeFlowFingerprint(d)
		if d.Err() != nil {
			return ""
		}
		return old.mismatch(&fp)
	}
	l.Save = func(e *ckpt.Enc) error { return f.save(e, rs) }
	l.Load = func(d *ckpt.Dec) error { return f.load(d, rs) }
	return l, nil
}

// flowFingerprint identifies the inputs of a Flow run (the number of levels
// is the loop's total).
type flowFingerprint struct {
	b       int
	extents []int
	rows    int
	dataCRC uint32
	states  []int8
	ops     string // operators, fit options, StopOnFitError
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
	e.I8s(f.states)
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
	f.states = d.I8s()
	f.ops = d.String()
	f.seed = d.Bytes()
	return f
}

func (f *flowFingerprint) mismatch(g *flowFingerprint) string {
	switch {
	case f.b != g.b:
		return fmt.Sprintf("block side %d, this run %d", f.b, g.b)
	case !slices.Equal(f.extents, g.extents) || f.rows != g.rows || f.dataCRC != g.dataCRC || !slices.Equal(f.states, g.states):
		return fmt.Sprintf("data of %d configurations on %v (CRC %08x), this run %d on %v (CRC %08x)",
			f.rows, f.extents, f.dataCRC, g.rows, g.extents, g.dataCRC)
	case f.ops != g.ops:
		return fmt.Sprintf("other operators or fit options (%s), this run %s", f.ops, g.ops)
	case string(f.seed) != string(g.seed):
		return "a different random seed"
	}
	return ""
}

// opsID identifies the options that change the levels' content besides B
// and the number of levels.
func opsID(o *FlowOptions) string {
	s := fmt.Sprint(o.Operators)
	if o.Fit != nil {
		s += fmt.Sprintf(" fit %+v", *o.Fit)
	}
	if o.StopOnFitError {
		s += " stop on fit error"
	}
	return s
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

// save writes the state after a completed level: the source, the stop
// reason, level 0's couplings and every later level.
func (f *flow) save(e *ckpt.Enc, rs randState) error {
	src, err := rs.MarshalBinary()
	if err != nil {
		return fmt.Errorf("rg: saving the state of the random source: %w", err)
	}
	e.Bytes(src)
	stop := ""
	if f.res.Stopped != nil {
		stop = f.res.Stopped.Error()
	}
	e.String(stop)
	e.Bool(f.res.Stopped == ErrStopped)
	encodeCouplings(e, f.res.Levels[0].Couplings)
	e.Int(len(f.res.Levels) - 1)
	for _, lv := range f.res.Levels[1:] {
		r, err := rsmi.MarshalRule(lv.Rule)
		if err != nil {
			return fmt.Errorf("rg: checkpointing the rule of level %d: %w", lv.Level, err)
		}
		var le ckpt.Enc
		le.Bytes(r)
		le.F64(lv.MI)
		le.I8s(lv.Data.Data)
		encodeCouplings(&le, lv.Couplings)
		e.Bytes(le.B)
	}
	return nil
}

// load restores the state written by save, checking every saved dataset
// against its level's lattice and rule.
func (f *flow) load(d *ckpt.Dec, rs randState) error {
	src := d.Bytes()
	stop, byStop := d.String(), d.Bool()
	fit0 := decodeCouplings(d)
	n := d.Int()
	if n < 1 || n > f.total {
		return fmt.Errorf("%w: it holds %d levels of %d, or is truncated", ckpt.ErrCorrupt, n, f.total)
	}
	for i := 1; i <= n; i++ {
		if err := f.loadLevel(&ckpt.Dec{B: d.Bytes()}, i); err != nil {
			return err
		}
	}
	if err := rs.UnmarshalBinary(src); err != nil {
		return fmt.Errorf("restoring the random source: %w", err)
	}
	f.res.Levels[0].Couplings = fit0
	f.fitted0 = true
	f.res.ResumedFrom = n
	switch {
	case byStop:
		f.res.Stopped = ErrStopped
	case stop != "":
		f.res.Stopped = &stopError{msg: stop, target: ErrFit}
	}
	return nil
}

// loadLevel decodes level n from its own decoder and appends it.
func (f *flow) loadLevel(d *ckpt.Dec, n int) error {
	rb, mi, data, c := d.Bytes(), d.F64(), d.I8s(), decodeCouplings(d)
	if err := d.Err(); err != nil {
		return err
	}
	rule, err := rsmi.UnmarshalRule(rb)
	if err != nil {
		return fmt.Errorf("%w: level %d: %v", ckpt.ErrCorrupt, n, err)
	}
	if rule.Outputs() != 1 {
		return fmt.Errorf("%w: level %d has a rule with %d outputs", ckpt.ErrCorrupt, n, rule.Outputs())
	}
	prev := f.res.Levels[n-1]
	bl, err := NewBlockingStates(prev.Lattice, f.o.B, rule, prev.Data.States)
	if err != nil {
		return fmt.Errorf("level %d: %w", n, err)
	}
	g := bl.Geometry()
	if len(data) != prev.Data.N*g.NumDOF() {
		return fmt.Errorf("%w: level %d holds %d values, want %d×%d", ckpt.ErrCorrupt, n, len(data), prev.Data.N, g.NumDOF())
	}
	ds, err := sample.NewDataset(g, data)
	if err != nil {
		return err
	}
	ds.States = slices.Clone(bl.out)
	if err := checkValues(ds, bl.out); err != nil {
		return fmt.Errorf("%w: level %d: %v", ckpt.ErrCorrupt, n, err)
	}
	f.res.Levels = append(f.res.Levels, FlowLevel{Level: n, Lattice: bl.Coarse(), Data: ds, Rule: rule, MI: mi, Couplings: c})
	return nil
}
