package rsmi

import (
	"encoding"
	"errors"
	"fmt"
	"math"

	"github.com/rsmi-go/rsmi/internal/ckpt"
)

// Train's checkpoint: an internal/ckpt loop payload (the total number of
// steps, the step, the fingerprint below) followed by the trainer's state.
const (
	trainKind    = "rsmi.Train"
	trainVersion = 3 // 3: the filter's type in the fingerprint
)

// trainFingerprint identifies the inputs of a Train run (the number of
// steps is the loop's total, compared by ckpt.Loop).
type trainFingerprint struct {
	kind         string // the filter's type
	nh, nv       int    // its weight rows
	bias         bool   // parameters beyond the weight rows
	lr, b1, b2   float64
	eps, nrm, l2 float64
	filterCRC    uint32 // initial filter parameters
	estimator    string // estimator type and, for tables, a checksum of P(v|e)
}

func (f *trainFingerprint) encode() []byte {
	var e ckpt.Enc
	e.String(f.kind)
	e.Int(f.nh)
	e.Int(f.nv)
	e.Bool(f.bias)
	for _, x := range []float64{f.lr, f.b1, f.b2, f.eps, f.nrm, f.l2} {
		e.F64(x)
	}
	e.Int(int(f.filterCRC))
	e.String(f.estimator)
	return e.B
}

func decodeFingerprint(b []byte) (trainFingerprint, error) {
	d := &ckpt.Dec{B: b}
	var f trainFingerprint
	f.kind = d.String()
	f.nh, f.nv, f.bias = d.Int(), d.Int(), d.Bool()
	f.lr, f.b1, f.b2, f.eps, f.nrm, f.l2 = d.F64(), d.F64(), d.F64(), d.F64(), d.F64(), d.F64()
	f.filterCRC = uint32(d.Int())
	f.estimator = d.String()
	return f, d.Err()
}

func (f *trainFingerprint) mismatch(g *trainFingerprint) string {
	switch {
	case f.kind != g.kind:
		return fmt.Sprintf("a filter of type %s, this run %s", f.kind, g.kind)
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

// loop returns the resumable loop of the training run.
func (t *trainer) loop() (*ckpt.Loop, error) {
	l := &ckpt.Loop{Checkpoint: t.o.Checkpoint, Name: "rsmi-train.ckpt", Kind: trainKind, Version: trainVersion,
		Total: t.o.Steps, Save: t.save, Load: t.load}
	if t.o.Checkpoint == nil {
		return l, nil
	}
	id, err := estimatorID(t.est)
	if err != nil {
		return nil, err
	}
	o, nw := t.o, t.rows*t.cols
	fp := trainFingerprint{kind: fmt.Sprintf("%T", t.f), nh: t.rows, nv: t.cols, bias: len(t.theta) > nw,
		lr: o.LearningRate, b1: o.Beta1, b2: o.Beta2, eps: o.Epsilon, nrm: o.Norm, l2: o.L2,
		filterCRC: paramsCRC(t.theta, nw), estimator: id}
	l.Fingerprint = fp.encode()
	l.Explain = func(saved []byte) string {
		old, err := decodeFingerprint(saved)
		if err != nil {
			return ""
		}
		return old.mismatch(&fp)
	}
	return l, nil
}

// save writes the state after a step: parameters, Adam's moments and bias
// corrections, the history and the estimator's own state.
func (t *trainer) save(e *ckpt.Enc) error {
	es, err := estimatorState(t.est)
	if err != nil {
		return err
	}
	nw := t.rows * t.cols
	for _, x := range [][]float64{t.theta[:nw], t.theta[nw:], t.m1, t.m2} {
		e.F64s(x)
	}
	e.F64(t.b1t)
	e.F64(t.b2t)
	e.F64s(t.history)
	e.Bytes(es)
	return nil
}

// load restores the state written by save, after checking it against the
// run's shapes (the fingerprint has matched).
func (t *trainer) load(d *ckpt.Dec) error {
	w, bias, m1, m2 := d.F64s(), d.F64s(), d.F64s(), d.F64s()
	b1t, b2t := d.F64(), d.F64()
	history := d.F64s()
	es := d.Bytes()
	if err := d.Err(); err != nil {
		return err
	}
	bad := func(what string) error { return fmt.Errorf("%w: %s", ckpt.ErrCorrupt, what) }
	switch {
	case len(w) != t.rows*t.cols || len(w)+len(bias) != len(t.theta):
		return bad("parameter lengths do not match the filter's sizes")
	case len(m1) != len(t.m1) || len(m2) != len(t.m2):
		return bad("Adam moments do not match the parameters")
	case len(history) < 1 || len(history) > t.o.Steps:
		return bad(fmt.Sprintf("%d history entries for %d steps", len(history), t.o.Steps))
	case !finite(w) || !finite(bias) || !finite(m1) || !finite(m2) || !finite(history):
		return bad("non-finite values")
	case !(b1t >= 0 && b1t < 1) || !(b2t >= 0 && b2t < 1):
		return bad("Adam bias corrections out of range")
	}
	if err := restoreEstimator(t.est, es); err != nil {
		return err
	}
	copy(t.theta, w)
	copy(t.theta[len(w):], bias)
	copy(t.prev, t.theta)
	t.f.SetParams(t.theta)
	copy(t.m1, m1)
	copy(t.m2, m2)
	t.b1t, t.b2t = b1t, b2t
	t.history = append(t.history[:0], history...)
	return nil
}

func finite(x []float64) bool { return nonFinite(x) < 0 }

// nonFinite returns the index of the first NaN or infinite element of x, or
// −1.
func nonFinite(x []float64) int {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return i
		}
	}
	return -1
}

// estimatorID describes an estimator for the fingerprint, and rejects
// estimators whose internal state cannot be saved.
func estimatorID(est Estimator) (string, error) {
	switch e := est.(type) {
	case *InfoNCE:
		if _, ok := e.src.(encoding.BinaryMarshaler); !ok {
			return "", fmt.Errorf("rsmi: Train cannot checkpoint an InfoNCE estimator whose random source (%T) cannot save its state: use *rand.PCG or *rand.ChaCha8", e.src)
		}
		var h ckpt.Enc
		h.I8s(e.v)
		h.I8s(e.e)
		return fmt.Sprintf("%T nv=%d ne=%d batch=%d embed=%d hidden=%v lr=%v tau=%v..%v anneal=%d ema=%v pairs=%08x",
			e, e.nv, e.ne, e.batch, e.embed, e.hidden, e.lr, e.tau0, e.tau1, e.anneal, e.emaBeta, ckpt.CRC(h.B)), nil
	case *Exact:
		return fmt.Sprintf("%T %08x", e, exactCRC(e)), nil
	case *ExactV:
		return fmt.Sprintf("%T %08x", e, exactCRC(e.Exact)), nil
	}
	return fmt.Sprintf("%T", est), nil
}

func exactCRC(t *Exact) uint32 {
	var e ckpt.Enc
	e.Int(t.nv)
	e.I8s(t.states)
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
			return nil, fmt.Errorf("saving the estimator's state: %w", err)
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

// paramsCRC is the checksum of a parameter vector whose first nw entries
// are weights.
func paramsCRC(theta []float64, nw int) uint32 {
	var e ckpt.Enc
	e.F64s(theta[:nw])
	e.F64s(theta[nw:])
	return ckpt.CRC(e.B)
}
