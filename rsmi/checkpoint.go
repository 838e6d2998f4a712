package rsmi

import (
	"encoding"
	"errors"
	"fmt"
	"math"

	"github.com/rsmi-go/rsmi/internal/ckpt"
)

const (
	trainKind    = "rsmi.Train"
	trainVersion = 1
)

// trainFingerprint identifies the inputs of a Train run.
type trainFingerprint struct {
	nh, nv       int
	bias         bool
	lr, b1, b2   float64
	eps, nrm, l2 float64
	filterCRC    uint32 // initial filter parameters
	estimator    string // estimator type and, for tables, a checksum of P(v|e)
}

func (f *trainFingerprint) encode(e *ckpt.Enc) {
	e.Int(f.nh)
	e.Int(f.nv)
	e.Bool(f.bias)
	for _, x := range []float64{f.lr, f.b1, f.b2, f.eps, f.nrm, f.l2} {
		e.F64(x)
	}
	e.Int(int(f.filterCRC))
	e.String(f.estimator)
}

func decodeFingerprint(d *ckpt.Dec) trainFingerprint {
	var f trainFingerprint
	f.nh, f.nv, f.bias = d.Int(), d.Int(), d.Bool()
	f.lr, f.b1, f.b2, f.eps, f.nrm, f.l2 = d.F64(), d.F64(), d.F64(), d.F64(), d.F64(), d.F64()
	f.filterCRC = uint32(d.Int())
	f.estimator = d.String()
	return f
}

func (f *trainFingerprint) mismatch(g *trainFingerprint) string {
	switch {
	case f.nh != g.nh || f.nv != g.nv || f.bias != g.bias:
		return fmt.Sprintf("a filter of %d×%d (biases %v), this run %d×%d (biases %v)", f.nh, f.nv, f.bias, g.nh, g.nv, g.bias)
	case f.estimator != g.estimator:
		return fmt.Sprintf("estimator %s, this run %s", f.estimator, g.estimator)
	case f.lr != g.lr || f.b1 != g.b1 || f.b2 != g.b2 || f.eps != g.eps || f.nrm != g.nrm || f.l2 != g.l2:
		return "different options"
	case f.filterCRC != g.filterCRC:
		return "a different initial filter (seed)"
	}
	return ""
}

// trainState is Train's state after a completed step.
type trainState struct {
	fp       trainFingerprint
	step     int
	w, bias  []float64
	m1, m2   []float64
	b1t, b2t float64
	history  []float64
	est      []byte // the estimator's state, if it has one
}

func (s *trainState) encode() []byte {
	var e ckpt.Enc
	s.fp.encode(&e)
	e.Int(s.step)
	for _, x := range [][]float64{s.w, s.bias, s.m1, s.m2} {
		e.F64s(x)
	}
	e.F64(s.b1t)
	e.F64(s.b2t)
	e.F64s(s.history)
	e.Bytes(s.est)
	return e.B
}

func decodeTrainState(p []byte) (*trainState, error) {
	d := &ckpt.Dec{B: p}
	s := &trainState{fp: decodeFingerprint(d)}
	s.step = d.Int()
	s.w, s.bias, s.m1, s.m2 = d.F64s(), d.F64s(), d.F64s(), d.F64s()
	s.b1t, s.b2t = d.F64(), d.F64()
	s.history = d.F64s()
	s.est = d.Bytes()
	if err := d.Err(); err != nil {
		return nil, err
	}
	f := &s.fp
	np := len(s.w) + len(s.bias)
	bad := func(what string) (*trainState, error) { return nil, fmt.Errorf("%w: %s", ckpt.ErrCorrupt, what) }
	switch {
	case f.nh < 1 || f.nv < 1 || f.nh > 1<<20 || f.nv > 1<<24:
		return bad("implausible filter sizes")
	case len(s.w) != f.nh*f.nv || (f.bias && len(s.bias) != f.nh) || (!f.bias && len(s.bias) != 0):
		return bad("parameter lengths do not match the filter's sizes")
	case len(s.m1) != np || len(s.m2) != np:
		return bad("Adam moments do not match the parameters")
	case s.step < 1 || len(s.history) != s.step:
		return bad(fmt.Sprintf("step %d with %d history entries", s.step, len(s.history)))
	case !finite(s.w) || !finite(s.bias) || !finite(s.m1) || !finite(s.m2) || !finite(s.history):
		return bad("non-finite values")
	case !(s.b1t >= 0 && s.b1t < 1) || !(s.b2t >= 0 && s.b2t < 1):
		return bad("Adam bias corrections out of range")
	}
	return s, nil
}

func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// estimatorID describes an estimator for the fingerprint, and rejects
// estimators whose internal state cannot be saved.
func estimatorID(est Estimator) (string, error) {
	switch e := est.(type) {
	case *InfoNCE:
		if _, ok := e.src.(encoding.BinaryMarshaler); !ok {
			return "", fmt.Errorf("rsmi: Train cannot checkpoint an InfoNCE estimator whose InfoNCEOptions.Src (%T) cannot save its state: use *rand.PCG or *rand.ChaCha8", e.src)
		}
		var h ckpt.Enc
		h.I8s(e.v)
		h.I8s(e.e)
		return fmt.Sprintf("%T nv=%d ne=%d batch=%d embed=%d hidden=%v lr=%v tau=%v..%v anneal=%d ema=%v pairs=%08x",
			e, e.nv, e.ne, e.batch, e.embed, e.hidden, e.lr, e.tau0, e.tau1, e.anneal, e.emaBeta, ckpt.CRC(h.B)), nil
	case *Table:
		return fmt.Sprintf("%T %08x", e, tableCRC(e)), nil
	case *ExactV:
		return fmt.Sprintf("%T %08x", e, tableCRC(e.Table)), nil
	}
	return fmt.Sprintf("%T", est), nil
}

func tableCRC(t *Table) uint32 {
	var e ckpt.Enc
	e.Int(t.nv)
	e.F64s(t.w)
	e.F64s(t.pve)
	return ckpt.CRC(e.B)
}

// estimatorState returns the state of estimators implementing
// encoding.BinaryMarshaler (nil for others, which must be deterministic
// functions of the filter for a resumed run to be identical).
func estimatorState(est Estimator) ([]byte, error) {
	if m, ok := est.(encoding.BinaryMarshaler); ok {
		b, err := m.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("rsmi: saving the estimator's state: %w", err)
		}
		return b, nil
	}
	return nil, nil
}

func restoreEstimator(est Estimator, b []byte) error {
	u, ok := est.(encoding.BinaryUnmarshaler)
	if !ok {
		if len(b) != 0 {
			return errors.New("the checkpoint holds estimator state but the estimator cannot restore it")
		}
		return nil
	}
	return u.UnmarshalBinary(b)
}

func filterCRC(f *Filter) uint32 {
	var e ckpt.Enc
	e.F64s(f.W)
	e.F64s(f.Bias)
	return ckpt.CRC(e.B)
}

func loadTrainState(path string) (*trainState, error) {
	p, err := ckpt.Read(path, trainKind, trainVersion)
	if err != nil {
		return nil, fmt.Errorf("rsmi: cannot resume: %w", err)
	}
	st, err := decodeTrainState(p)
	if err != nil {
		return nil, fmt.Errorf("rsmi: cannot resume from %s: %w", path, err)
	}
	return st, nil
}
