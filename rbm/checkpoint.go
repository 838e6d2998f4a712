package rbm

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/internal/xrand"
	"github.com/rsmi-go/rsmi/run"
)

const (
	trainKind    = "rbm.Train"
	catTrainKind = "rbm.TrainCategorical"
	// trainVersion 4: the payload of ckpt.Loop (the number of epochs in its
	// header), xrand.Xoshiro (xoshiro256**) generator states, the model's
	// description in the fingerprint. Versions 2 (the generators and the
	// description alone) and 3 (the loop alone) were never in one build.
	trainVersion = 4
)

// loop returns the resumable loop of the training over its epochs.
func (tr *training) loop(ck *run.Checkpoint) *ckpt.Loop {
	l := &ckpt.Loop{Checkpoint: ck, Name: tr.job.file, Kind: tr.job.stage, Version: trainVersion, Total: tr.cfg.epochs}
	if ck == nil {
		return l
	}
	t := tr.t
	w, vis, hid := tr.m.params()
	units, _ := tr.m.layout()
	fp := trainFingerprint{nv: t.nv, nh: t.nh, units: int(units), rows: tr.n,
		dataCRC: ckpt.CRCInt8(tr.data), paramCRC: paramCRC(w, vis, hid), cfg: tr.cfg, model: tr.m.describe()}
	fp.cfg.epochs = 0 // the loop's total
	fp.seed = [8]uint64{t.rng.S0, t.rng.S1, t.rng.S2, t.rng.S3, tr.mon.S0, tr.mon.S1, tr.mon.S2, tr.mon.S3}
	var e ckpt.Enc
	fp.encode(&e)
	l.Fingerprint = e.B
	l.Explain = func(saved []byte) string {
		d := &ckpt.Dec{B: saved}
		old := decodeFingerprint(d)
		if d.Err() != nil {
			return ""
		}
		return old.mismatch(&fp)
	}
	l.Save = func(e *ckpt.Enc) error { tr.save(e); return nil }
	l.Load = tr.load
	return l
}

// trainFingerprint identifies the inputs of a training run: a checkpoint is
// only resumed by a run with the same fingerprint.
type trainFingerprint struct {
	nv, nh, units, rows int
	dataCRC, paramCRC   uint32
	cfg                 trainConfig
	seed                [8]uint64 // initial states of the training and monitoring generators
	model               string    // the model's description (kind, sizes, alphabet)
}

func (f *trainFingerprint) encode(e *ckpt.Enc) {
	for _, x := range []int{f.nv, f.nh, f.units, f.rows, int(f.dataCRC), int(f.paramCRC),
		f.cfg.batch, f.cfg.k} {
		e.Int(x)
	}
	for _, x := range []float64{f.cfg.lr, f.cfg.decay, f.cfg.mom, f.cfg.wd} {
		e.F64(x)
	}
	e.Bool(f.cfg.persistent)
	e.Bool(f.cfg.shuffle)
	for _, x := range f.seed {
		e.U64(x)
	}
	e.String(f.model)
}

func decodeFingerprint(d *ckpt.Dec) trainFingerprint {
	var f trainFingerprint
	f.nv, f.nh, f.units, f.rows = d.Int(), d.Int(), d.Int(), d.Int()
	f.dataCRC, f.paramCRC = uint32(d.Int()), uint32(d.Int())
	f.cfg.batch, f.cfg.k = d.Int(), d.Int()
	f.cfg.lr, f.cfg.decay, f.cfg.mom, f.cfg.wd = d.F64(), d.F64(), d.F64(), d.F64()
	f.cfg.persistent, f.cfg.shuffle = d.Bool(), d.Bool()
	for i := range f.seed {
		f.seed[i] = d.U64()
	}
	f.model = d.String()
	return f
}

// mismatch describes how a checkpoint's fingerprint differs from the run's.
func (f *trainFingerprint) mismatch(g *trainFingerprint) string {
	switch {
	case f.model != g.model || f.nv != g.nv || f.nh != g.nh || f.units != g.units:
		return fmt.Sprintf("%s, this run %s", f.model, g.model)
	case f.rows != g.rows || f.dataCRC != g.dataCRC:
		return fmt.Sprintf("data of %d rows (CRC %08x), this run %d rows (CRC %08x)", f.rows, f.dataCRC, g.rows, g.dataCRC)
	case f.cfg != g.cfg:
		return fmt.Sprintf("options %+v, this run %+v", f.cfg, g.cfg)
	case f.paramCRC != g.paramCRC:
		return "different initial parameters"
	case f.seed != g.seed:
		return "a different random seed"
	}
	return ""
}

// trainState is the state of a training run after a completed epoch.
type trainState struct {
	epoch      int
	updates    int
	recon, pll float64
	w, b, c    []float32
	uw, ub, uc []float32
	hs         []float32
	chainInit  bool
	rng, mon   xrand.Xoshiro
	perm       []int32
}

// save writes the state after a completed epoch.
func (tr *training) save(e *ckpt.Enc) {
	t := tr.t
	s := trainState{epoch: tr.res.Epochs, updates: tr.res.Updates, recon: tr.res.ReconstructionError, pll: tr.res.PseudoLogLikelihood,
		w: t.w, b: t.b, c: t.c, uw: t.uw, ub: t.ub, uc: t.uc, hs: t.hs, chainInit: t.chainInit,
		rng: t.rng, mon: tr.mon, perm: tr.perm}
	s.encode(e)
}

func (s *trainState) encode(e *ckpt.Enc) {
	e.Int(s.epoch)
	e.Int(s.updates)
	e.F64(s.recon)
	e.F64(s.pll)
	for _, x := range [][]float32{s.w, s.b, s.c, s.uw, s.ub, s.uc, s.hs} {
		e.F32s(x)
	}
	e.Bool(s.chainInit)
	for _, x := range []*xrand.Xoshiro{&s.rng, &s.mon} {
		b, _ := x.MarshalBinary()
		e.Bytes(b)
	}
	e.I32s(s.perm)
}

// load restores the state after epoch (the loop's last completed step)
// from d, checking it against the shapes of this run.
func (tr *training) load(d *ckpt.Dec) error {
	s := decodeTrainState(d)
	if err := s.check(tr.t, tr.n, tr.cfg, tr.perm != nil); err != nil {
		return err
	}
	tr.t.restore(s)
	copy(tr.perm, s.perm)
	tr.mon = s.mon
	tr.t.store(tr.m)
	tr.res.Epochs, tr.res.Updates, tr.res.ResumedFrom = s.epoch, s.updates, s.epoch
	tr.res.ReconstructionError, tr.res.PseudoLogLikelihood = s.recon, s.pll
	return nil
}

// decodeTrainState reads the fields written by encode; it never panics on
// malformed input (a failure is reported by d.Err).
func decodeTrainState(d *ckpt.Dec) *trainState {
	s := &trainState{}
	s.epoch, s.updates = d.Int(), d.Int()
	s.recon, s.pll = d.F64(), d.F64()
	s.w, s.b, s.c = d.F32s(), d.F32s(), d.F32s()
	s.uw, s.ub, s.uc = d.F32s(), d.F32s(), d.F32s()
	s.hs = d.F32s()
	s.chainInit = d.Bool()
	for _, x := range []*xrand.Xoshiro{&s.rng, &s.mon} {
		if err := x.UnmarshalBinary(d.Bytes()); err != nil {
			d.Fail(fmt.Errorf("%w: generator state: %v", ckpt.ErrCorrupt, err))
		}
	}
	s.perm = d.I32s()
	return s
}

// check validates a decoded state against the run's shapes: the epoch and
// the number of updates, lengths,
// finite parameters, generators and a valid permutation of n rows (or none
// without shuffling).
func (s *trainState) check(t *trainer, n int, cfg trainConfig, shuffle bool) error {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ckpt.ErrCorrupt, what) }
	nv, nh := t.nv, t.nh
	switch {
	case s.epoch < 1 || s.epoch > cfg.epochs || s.updates != s.epoch*((n+cfg.batch-1)/cfg.batch):
		return bad(fmt.Sprintf("epoch %d after %d updates, or the state is truncated", s.epoch, s.updates))
	case len(s.w) != nv*nh || len(s.b) != nv || len(s.c) != nh:
		return bad("parameter lengths do not match the sizes")
	case (t.uw != nil) != (len(s.uw) != 0):
		return bad("momentum buffers do not match the options")
	case len(s.uw) != 0 && (len(s.uw) != nv*nh || len(s.ub) != nv || len(s.uc) != nh):
		return bad("momentum lengths do not match the sizes")
	case len(s.uw) == 0 && (len(s.ub) != 0 || len(s.uc) != 0):
		return bad("momentum buffers incomplete")
	case len(s.hs) != len(t.hs):
		return bad("persistent chain state does not match the sizes")
	case shuffle != (len(s.perm) != 0) || len(s.perm) != 0 && len(s.perm) != n:
		return bad("data permutation does not match the number of rows")
	case !finite32(s.w) || !finite32(s.b) || !finite32(s.c) || !finite32(s.uw) || !finite32(s.ub) || !finite32(s.uc):
		return bad("non-finite parameters")
	}
	seen := make([]bool, len(s.perm))
	for _, x := range s.perm {
		if x < 0 || int(x) >= len(seen) || seen[x] {
			return bad("data order is not a permutation")
		}
		seen[x] = true
	}
	return nil
}

func paramCRC(w *mat.Dense, vis, hid []float64) uint32 {
	var e ckpt.Enc
	raw := w.RawMatrix()
	for i := range raw.Rows {
		for _, x := range raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols] {
			e.F64(x)
		}
	}
	for _, x := range vis {
		e.F64(x)
	}
	for _, x := range hid {
		e.F64(x)
	}
	return ckpt.CRC(e.B)
}

// restore loads s, checked by check, into the trainer.
func (t *trainer) restore(s *trainState) {
	copy(t.w, s.w)
	copy(t.b, s.b)
	copy(t.c, s.c)
	copy(t.uw, s.uw)
	copy(t.ub, s.ub)
	copy(t.uc, s.uc)
	copy(t.hs, s.hs)
	t.chainInit = s.chainInit
	t.rng = s.rng
	t.transpose()
}
