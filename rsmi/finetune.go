package rsmi

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"

	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/run"
)

// fineTuneLanes is the number of partial gradient sums of a fine-tuning
// step: the environments of the mini-batch are dealt round-robin to the
// lanes, each lane sums its own in order, and the lanes are added in order,
// so that the result does not depend on the number of goroutines.
const fineTuneLanes = 16

// fineTuner ascends the exact conditional log-likelihood Σ_pairs log P(v|e)
// of the Θ-RBM with Adam on mini-batches of distinct environments. The
// parameters are W (channels×nth, see thetaModel), the visible biases of
// V's channels and the hidden biases.
type fineTuner struct {
	m              *thetaModel
	data           []int8
	nv, nx, nth, S int
	rows, vRows    int // channels, V's channels
	np             int
	envs           []int     // first pair of each distinct environment
	vcount         []float64 // per environment, the pairs with each block state
	syms           []rowSym  // symmetries of the data (nil: the pairs alone)
	steps, batch   int
	lr             float64
	workers        int
	ck             *run.Checkpoint
	progress       run.ProgressFunc
	xc             []int32   // S × nv: the channel of V unit i in block state s
	xw             []float64 // and its weight
	u, bv          []float64 // block-state tables (blockTables)
	lanes          []ftLane
	scratch        []ftScratch
	m1, m2         []float64
	b1t, b2t       float64
	rng            *rand.Rand
	order, picked  []int
	next, done     int
	permCRC        uint32 // the first epoch's order: identifies the random stream
	ctx            context.Context
}

// ftLane accumulates the gradient, the number of pairs and the
// log-likelihood of its share of a mini-batch.
type ftLane struct {
	grad      []float64
	pairs, ll float64
}

// ftScratch is one goroutine's working memory; row and cnt hold the image
// of an environment and of its block-state counts under a symmetry.
type ftScratch struct {
	a, lp, m, q, cnt []float64
	row              []int8
}

func newFineTuner(m *thetaModel, data []int8, p *Pairs, envs *envSet, syms []rowSym, o *ExactVOptions, src rand.Source) *fineTuner {
	nx, nth, S := m.nx, m.nth, m.blockStates()
	t := &fineTuner{m: m, data: data, nv: p.NV, nx: nx, nth: nth, S: S, rows: m.rows(), vRows: m.vRows(),
		envs: envs.first, steps: o.FineTune, batch: min(o.FineTuneBatch, len(envs.first)), lr: o.FineTuneRate,
		ck: o.Checkpoint, progress: o.Progress, syms: syms, b1t: 1, b2t: 1}
	t.np = t.rows*nth + t.vRows + nth
	t.vcount = make([]float64, len(envs.first)*S)
	for k := 0; k < p.N; k++ {
		t.vcount[int(envs.of[k])*S+blockIndex(p.V[k*p.NV:(k+1)*p.NV], p.States)]++
	}
	t.xc, t.xw = make([]int32, S*p.NV), make([]float64, S*p.NV)
	for s := 0; s < S; s++ {
		for i := 0; i < p.NV; i++ {
			c, x := m.blockChannel(s, i)
			t.xc[s*p.NV+i], t.xw[s*p.NV+i] = int32(c), x
		}
	}
	t.u, t.bv = make([]float64, S*nth), make([]float64, S)
	t.lanes = make([]ftLane, min(fineTuneLanes, t.batch))
	for i := range t.lanes {
		t.lanes[i].grad = make([]float64, t.np)
	}
	t.workers = max(1, min(o.Workers, len(t.lanes)))
	t.scratch = make([]ftScratch, t.workers)
	for i := range t.scratch {
		t.scratch[i] = ftScratch{a: make([]float64, nth), lp: make([]float64, S), m: make([]float64, S*nth), q: make([]float64, nth),
			cnt: make([]float64, S), row: make([]int8, nx)}
	}
	t.m1, t.m2 = make([]float64, t.np), make([]float64, t.np)
	t.rng = rand.New(src)
	t.order = t.rng.Perm(len(t.envs) * max(1, len(t.syms)))
	var e ckpt.Enc
	for _, x := range t.order {
		e.Int(x)
	}
	t.permCRC = ckpt.CRC(e.B)
	t.picked = make([]int, t.batch)
	return t
}

// run runs the fine-tuning steps, checkpointed if asked.
func (t *fineTuner) run(ctx context.Context) error {
	t.ctx = ctx
	defer func() { t.ctx = nil }()
	if _, err := t.loop().Run(ctx, t.step); err != nil {
		return fmt.Errorf("rsmi: Θ-RBM fine-tuning: %w", err)
	}
	return nil
}

// step is one Adam step on a fresh mini-batch.
func (t *fineTuner) step(i int) error {
	t.m.blockTables(t.u, t.bv)
	t.pick()
	t.gradients()
	if err := t.ctx.Err(); err != nil {
		return fmt.Errorf("interrupted in step %d: %w", i, err)
	}
	var pairs, ll float64
	for k := range t.lanes {
		pairs += t.lanes[k].pairs
		ll += t.lanes[k].ll
		if j := nonFinite(t.lanes[k].grad); j >= 0 {
			return fmt.Errorf("step %d: the gradient is %v (lower FineTuneRate)", i, t.lanes[k].grad[j])
		}
	}
	t.adam(pairs)
	t.done = i
	if i%16 == 0 || i == t.steps {
		if !finite(t.m.w.RawMatrix().Data) {
			return fmt.Errorf("diverged by step %d: the weights are NaN or Inf (lower FineTuneRate)", i)
		}
	}
	if t.progress != nil {
		t.progress(run.Progress{Stage: "rsmi.ExactV: fine-tuning", Done: i, Total: t.steps, Value: ll / pairs})
	}
	return nil
}

// pick draws the step's mini-batch: the next environments of a random
// order, reshuffled when it runs out.
func (t *fineTuner) pick() {
	for bi := range t.picked {
		if t.next == len(t.order) {
			t.rng.Shuffle(len(t.order), func(i, j int) { t.order[i], t.order[j] = t.order[j], t.order[i] })
			t.next = 0
		}
		t.picked[bi] = t.order[t.next]
		t.next++
	}
}

// gradients fills the lanes' gradients for the picked environments, on up
// to t.workers goroutines; it stops early if the context is cancelled (an
// environment costs 2^|V|·Hidden log-cosh evaluations).
func (t *fineTuner) gradients() {
	var wg sync.WaitGroup
	for w := range t.scratch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := w; l < len(t.lanes); l += t.workers {
				lane := &t.lanes[l]
				clear(lane.grad)
				lane.pairs, lane.ll = 0, 0
				for bi := l; bi < t.batch; bi += len(t.lanes) {
					if t.ctx.Err() != nil {
						return
					}
					t.env(&t.scratch[w], lane, t.picked[bi])
				}
			}
		}()
	}
	wg.Wait()
}

// env adds the gradient of Σ_{pairs with environment k} log P(v|e) to lane.
func (t *fineTuner) env(sc *ftScratch, lane *ftLane, k int) {
	nv, nx, nth, S := t.nv, t.nx, t.nth, t.S
	row, cnt := t.image(sc, k)
	a, lp, m, q := sc.a, sc.lp, sc.m, sc.q
	t.m.envInput(row, a)
	mx := math.Inf(-1)
	for s := 0; s < S; s++ {
		l := t.bv[s]
		us := t.u[s*nth : (s+1)*nth]
		ms := m[s*nth : (s+1)*nth]
		for j, aj := range a {
			ls, mean := logSumMean(aj+us[j], t.m.spin)
			l += ls
			ms[j] = mean
		}
		lp[s] = l
		mx = max(mx, l)
	}
	var z float64
	for s := range lp {
		lp[s] = math.Exp(lp[s] - mx)
		z += lp[s]
	}
	var ce float64
	for s, c := range cnt {
		if c > 0 {
			ce += c
			lane.ll += c * (math.Log(lp[s]) - math.Log(z))
		}
	}
	lane.pairs += ce
	clear(q)
	g := lane.grad
	for s := 0; s < S; s++ {
		d := cnt[s] - ce*lp[s]/z
		ms := m[s*nth : (s+1)*nth]
		for i, x := range t.xw[s*nv : (s+1)*nv] {
			if x == 0 {
				continue
			}
			c := int(t.xc[s*nv+i])
			g[t.rows*nth+c] += d * x
			gw := g[c*nth : (c+1)*nth]
			for j, mj := range ms {
				gw[j] += d * x * mj
			}
		}
		for j, mj := range ms {
			q[j] += d * mj
		}
	}
	for i := nv; i < nx; i++ {
		if c, x := t.m.channel(i, row[i]); x != 0 {
			gw := g[c*nth : (c+1)*nth]
			for j, qj := range q {
				gw[j] += x * qj
			}
		}
	}
	gc := g[t.rows*nth+t.vRows:]
	for j, qj := range q {
		gc[j] += qj
	}
}

// adam applies one Adam update with the lanes' gradient divided by pairs.
func (t *fineTuner) adam(pairs float64) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	rows, nth, vRows := t.rows, t.nth, t.vRows
	w := t.m.w.RawMatrix()
	t.b1t *= b1
	t.b2t *= b2
	for p := 0; p < t.np; p++ {
		var g float64
		for k := range t.lanes {
			g += t.lanes[k].grad[p]
		}
		g /= pairs
		t.m1[p] = b1*t.m1[p] + (1-b1)*g
		t.m2[p] = b2*t.m2[p] + (1-b2)*g*g
		d := t.lr * (t.m1[p] / (1 - t.b1t)) / (math.Sqrt(t.m2[p]/(1-t.b2t)) + eps)
		switch {
		case p < rows*nth:
			w.Data[(p/nth)*w.Stride+p%nth] += d
		case p < rows*nth+vRows:
			t.m.vis[p-rows*nth] += d
		default:
			t.m.hid[p-rows*nth-vRows] += d
		}
	}
}

// Fine-tuning checkpoints: an internal/ckpt loop payload followed by the
// step count, the Θ-RBM's parameters and Adam's state. The random stream is
// not saved: resuming replays the mini-batch draws of the steps done, which
// costs nothing next to a step.
const (
	fineTuneKind    = "rsmi.ExactV.fineTune"
	fineTuneVersion = 1
)

func (t *fineTuner) loop() *ckpt.Loop {
	l := &ckpt.Loop{Checkpoint: t.ck, Kind: fineTuneKind, Version: fineTuneVersion, Total: t.steps, Save: t.save, Load: t.load}
	if t.ck == nil {
		return l
	}
	c := *t.ck
	c.Name = insertSuffix(thetaCheckpoint(t.ck).Name, "-finetune")
	l.Checkpoint = &c
	var e ckpt.Enc
	desc := fmt.Sprintf("nv=%d nx=%d hidden=%d %s envs=%d batch=%d rate=%v", t.nv, t.nx, t.nth, t.m.desc, len(t.envs), t.batch, t.lr)
	if t.syms != nil { // without them, the fingerprint of checkpoints written before symmetries existed
		desc += fmt.Sprintf(" symmetries=%d/%08x", len(t.syms), symCRC(t.syms))
	}
	e.String(desc)
	e.Int(int(ckpt.CRCInt8(t.data)))
	e.Int(int(t.paramCRC()))
	e.Int(int(t.permCRC))
	l.Fingerprint = e.B
	return l
}

// insertSuffix inserts suffix before the extension of a file name.
func insertSuffix(name, suffix string) string {
	ext := filepath.Ext(name)
	return strings.TrimSuffix(name, ext) + suffix + ext
}

// params returns the Θ-RBM's parameters in the fine-tuning's order.
func (t *fineTuner) params() []float64 {
	w := t.m.w.RawMatrix()
	out := make([]float64, 0, t.np)
	for i := 0; i < t.rows; i++ {
		out = append(out, w.Data[i*w.Stride:i*w.Stride+t.nth]...)
	}
	out = append(out, t.m.vis[:t.vRows]...)
	return append(out, t.m.hid...)
}

func (t *fineTuner) paramCRC() uint32 {
	var e ckpt.Enc
	e.F64s(t.params())
	e.F64s(t.m.vis)
	return ckpt.CRC(e.B)
}

func (t *fineTuner) save(e *ckpt.Enc) error {
	e.Int(t.done)
	e.F64s(t.params())
	e.F64s(t.m1)
	e.F64s(t.m2)
	e.F64(t.b1t)
	e.F64(t.b2t)
	return nil
}

func (t *fineTuner) load(d *ckpt.Dec) error {
	done := d.Int()
	params, m1, m2 := d.F64s(), d.F64s(), d.F64s()
	b1t, b2t := d.F64(), d.F64()
	if err := d.Err(); err != nil {
		return err
	}
	switch {
	case done < 1 || done > t.steps:
		return fmt.Errorf("%w: fine-tuning step %d of %d", ckpt.ErrCorrupt, done, t.steps)
	case len(params) != t.np || len(m1) != t.np || len(m2) != t.np:
		return fmt.Errorf("%w: %d parameters, want %d", ckpt.ErrCorrupt, len(params), t.np)
	case !finite(params) || !finite(m1) || !finite(m2) || !(b1t >= 0 && b1t < 1) || !(b2t >= 0 && b2t < 1):
		return fmt.Errorf("%w: non-finite or out-of-range values", ckpt.ErrCorrupt)
	}
	w := t.m.w.RawMatrix()
	for i := 0; i < t.rows; i++ {
		copy(w.Data[i*w.Stride:i*w.Stride+t.nth], params[i*t.nth:(i+1)*t.nth])
	}
	copy(t.m.vis[:t.vRows], params[t.rows*t.nth:])
	copy(t.m.hid, params[t.rows*t.nth+t.vRows:])
	copy(t.m1, m1)
	copy(t.m2, m2)
	t.b1t, t.b2t, t.done = b1t, b2t, done
	for range done {
		t.pick()
	}
	return nil
}
