package rbm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/internal/xrand"
	"gonum.org/v1/gonum/mat"
)

// CheckpointOptions makes a long run save its complete state every Every
// epochs (or levels) into a file in Dir, and continue from that file.
//
// A checkpoint holds everything the run needs to continue bit for bit: the
// parameters, the optimizer's moments, the random generators' states, the
// epoch and the position in the data. It is written atomically (temporary
// file, fsync, rename), so a run killed at any moment — even by SIGKILL —
// leaves the previous or the new checkpoint, never a torn one. With Resume,
// a run started with the same inputs, options and seed as the interrupted
// one continues from its last checkpoint, and its final result is identical
// to that of an uninterrupted run. Resuming with different inputs (data,
// sizes, options or seed) is an error, as is a corrupt checkpoint; a missing
// checkpoint file starts the run from the beginning.
//
// The same type configures rbm.Train, rsmi.Train and rg.Flow (the other
// packages alias it).
type CheckpointOptions struct {
	// Dir is the directory of the checkpoint file (required; created if
	// missing).
	Dir string
	// Every is the number of epochs (or levels) between checkpoints
	// (default 1). The last epoch is always saved.
	Every int
	// Resume continues from the checkpoint in Dir if one exists.
	Resume bool
	// Name is the checkpoint's file name in Dir (default: one per caller,
	// "rbm-train.ckpt", "rsmi-train.ckpt", "rg-flow.ckpt"). Runs sharing a
	// directory need distinct names.
	Name string
}

// Path returns the checkpoint file of o for the default name def, after
// validating o; it creates Dir.
func (o *CheckpointOptions) Path(def string) (string, error) {
	if o.Dir == "" {
		return "", errors.New("checkpoint directory is empty")
	}
	if o.Every < 0 {
		return "", fmt.Errorf("checkpoint interval Every = %d is negative", o.Every)
	}
	name := o.Name
	if name == "" {
		name = def
	}
	if name != filepath.Base(name) || name == "." || name == ".." {
		return "", fmt.Errorf("checkpoint name %q is not a plain file name", name)
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return "", fmt.Errorf("checkpoint directory: %w", err)
	}
	return filepath.Join(o.Dir, name), nil
}

// Due reports whether a checkpoint is to be written after epoch e of total.
func (o *CheckpointOptions) Due(e, total int) bool {
	every := o.Every
	if every == 0 {
		every = 1
	}
	return e%every == 0 || e == total
}

const (
	trainKind    = "rbm.Train"
	catTrainKind = "rbm.TrainCategorical"
	// trainVersion 2: xrand.Xoshiro (xoshiro256**) generator states, the
	// model's description in the fingerprint.
	trainVersion = 2
)

// trainCkpt is the checkpoint file of a training run.
type trainCkpt struct {
	path, kind string
	fp         trainFingerprint
}

// openTrainCkpt validates the checkpoint options and, with Resume and an
// existing file, restores the run's state from it.
func openTrainCkpt(o *CheckpointOptions, name, kind string, m model, data []int8, cfg trainConfig, ru *run) (*trainCkpt, error) {
	path, err := o.Path(name)
	if err != nil {
		return nil, fmt.Errorf("rbm: %w", err)
	}
	t := ru.t
	w, vis, hid := m.params()
	units, _ := m.layout()
	ck := &trainCkpt{path: path, kind: kind, fp: trainFingerprint{nv: t.nv, nh: t.nh, units: int(units), rows: ru.n,
		dataCRC: ckpt.CRCInt8(data), paramCRC: paramCRC(w, vis, hid), cfg: cfg, model: m.describe()}}
	ck.fp.cfg.epochs = 0
	ck.fp.seed = [8]uint64{t.rng.S0, t.rng.S1, t.rng.S2, t.rng.S3, ru.mon.S0, ru.mon.S1, ru.mon.S2, ru.mon.S3}
	if !o.Resume || !ckpt.Exists(path) {
		return ck, nil
	}
	st, err := loadTrainState(path, kind)
	if err != nil {
		return nil, err
	}
	if d := st.fp.mismatch(&ck.fp); d != "" {
		return nil, fmt.Errorf("rbm: cannot resume from %s: it was written for %s", path, d)
	}
	if err := t.restore(st); err != nil {
		return nil, fmt.Errorf("rbm: cannot resume from %s: %w", path, err)
	}
	if len(st.perm) != len(ru.perm) {
		return nil, fmt.Errorf("rbm: cannot resume from %s: shuffling differs", path)
	}
	copy(ru.perm, st.perm)
	ru.mon = st.mon
	ru.res.Epochs, ru.res.Updates, ru.res.ResumedFrom = st.epoch, st.updates, st.epoch
	ru.res.ReconstructionError, ru.res.PseudoLogLikelihood = st.recon, st.pll
	t.store(m)
	ru.first = st.epoch + 1
	return ck, nil
}

// save writes the state after epoch e.
func (ck *trainCkpt) save(e int, ru *run) error {
	st := ru.t.snapshot(ck.fp, e, ru.res, ru.mon, ru.perm)
	if err := ckpt.Write(ck.path, ck.kind, trainVersion, st.encode()); err != nil {
		return fmt.Errorf("rbm: writing checkpoint after epoch %d: %w", e, err)
	}
	return nil
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
	case f.cfg.batch != g.cfg.batch || f.cfg.k != g.cfg.k || f.cfg.lr != g.cfg.lr || f.cfg.decay != g.cfg.decay ||
		f.cfg.mom != g.cfg.mom || f.cfg.wd != g.cfg.wd || f.cfg.persistent != g.cfg.persistent || f.cfg.shuffle != g.cfg.shuffle:
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
	fp             trainFingerprint
	epoch, updates int
	recon, pll     float64
	w, b, c        []float32
	uw, ub, uc     []float32
	hs             []float32
	chainInit      bool
	rng, mon       xrand.Xoshiro
	perm           []int32
}

func (s *trainState) encode() []byte {
	var e ckpt.Enc
	s.fp.encode(&e)
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
	return e.B
}

// decodeTrainState parses a checkpoint payload and checks its internal
// consistency (lengths matching the sizes it declares, finite parameters, a
// valid permutation); it never panics on malformed input.
func decodeTrainState(p []byte) (*trainState, error) {
	d := &ckpt.Dec{B: p}
	s := &trainState{fp: decodeFingerprint(d)}
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
	if err := d.Err(); err != nil {
		return nil, err
	}
	nv, nh, f := s.fp.nv, s.fp.nh, &s.fp
	bad := func(what string) (*trainState, error) {
		return nil, fmt.Errorf("%w: %s", ckpt.ErrCorrupt, what)
	}
	switch {
	case nv <= 0 || nh <= 0 || nv > maxUnits || nh > maxUnits || f.rows <= 0 || f.cfg.batch <= 0 || f.cfg.k <= 0:
		return bad("implausible sizes")
	case s.epoch < 1 || s.updates < 0:
		return bad(fmt.Sprintf("epoch %d, %d updates", s.epoch, s.updates))
	case len(s.w) != nv*nh || len(s.b) != nv || len(s.c) != nh:
		return bad("parameter lengths do not match the sizes")
	case len(s.uw) != 0 && (len(s.uw) != nv*nh || len(s.ub) != nv || len(s.uc) != nh):
		return bad("momentum lengths do not match the sizes")
	case len(s.uw) == 0 && (len(s.ub) != 0 || len(s.uc) != 0):
		return bad("momentum buffers incomplete")
	case len(s.hs) != nh*f.cfg.batch:
		return bad("persistent chain state does not match the sizes")
	case len(s.perm) != 0 && len(s.perm) != f.rows:
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
	return s, nil
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

// snapshot captures the trainer's state after epoch.
func (t *trainer) snapshot(fp trainFingerprint, epoch int, res *TrainResult, mon xrand.Xoshiro, perm []int32) *trainState {
	return &trainState{fp: fp, epoch: epoch, updates: res.Updates, recon: res.ReconstructionError, pll: res.PseudoLogLikelihood,
		w: t.w, b: t.b, c: t.c, uw: t.uw, ub: t.ub, uc: t.uc, hs: t.hs, chainInit: t.chainInit,
		rng: t.rng, mon: mon, perm: perm}
}

// restore loads s into the trainer (same shapes, checked by the fingerprint).
func (t *trainer) restore(s *trainState) error {
	if (t.uw == nil) != (len(s.uw) == 0) {
		return fmt.Errorf("%w: momentum buffers do not match the options", ckpt.ErrCorrupt)
	}
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
	return nil
}
