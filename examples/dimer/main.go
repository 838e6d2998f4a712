// Command dimer reproduces Fig. 4 of Koch-Janusz & Ringel (2018) with the
// neural estimator of RSMI-NE: for close-packed dimers on the square lattice
// (with noise spins on sites and faces), the filters that maximize the mutual
// information between a 4×4-site block and its environment are the two
// components of the block's electric field, E_x = Σ (−1)^(x+y) n_right and
// E_y = Σ (−1)^(x+y) n_up — the coarse-grained variables of the dimer
// model's Coulomb phase — and they ignore the noise.
//
// Usage:
//
//	go run ./examples/dimer                       # L=32, InfoNCE, nh=2, dimer_filters.png
//	go run ./examples/dimer -steps 10000 -seeds 3 -json
//	go run ./examples/dimer -V -1 -Ts 0.4,0.6,0.8,1.0 -nh 2   # interacting: MI against T
//	go run ./examples/dimer -data dimers.npy      # samples from examples/sample
//
// Regions live on the doubled grid (site (x,y) at (2x,2y), its right link at
// (2x+1,2y), its up link at (2x,2y+1), the face at (2x+1,2y+1)): the block is
// -block×-block doubled-grid units (8 = 4×4 sites), with a buffer of -buffer
// and an environment shell of -env units. Block positions are taken every
// -pstride sites. -seeds filters are trained from different seeds (in
// parallel); the one with the largest held-out MI is kept, which guards
// against the occasional run whose two units collapse onto one direction.
//
// With the aligned-plaquette interaction (-V < 0) the model orders into four
// columnar states below T_c ≈ 0.65|V| (Alet et al. 2005), between which the
// loop chains do not tunnel; -sym (on by default when -V ≠ 0) adds each
// sample's images under a 90° rotation and a diagonal one-site translation,
// so that all four states are represented, and the MI of nh = 2 units then
// approaches log₂4 = 2 bits deep in the ordered phase (RSMI-NE's plateau).
// The estimator is InfoNCE (a lower bound, at most log₂(-batch) bits) or,
// with -estimator proxy, the paper's RBM cumulant proxy (its value is a
// proxy, not the MI; the weight norm is then fixed by -norm, default 2).
//
// The figure dimer_filters.png (in -outdir) shows each hidden unit's
// weights at their doubled-grid coordinates, each cell marked as a site, a
// right link, an up link or a face: links at link positions, noise spins at
// sites and faces; with -Ts it is dimer_filters_T<T>.png per temperature,
// and dimer_mi_T.png shows the MI against T.
// Progress lines (stage, done/total, rate, ETA) go to stderr at least every
// few seconds; -q silences them and the text summary. -outdir is checked
// before anything is computed, and the program takes flags only. The
// README gives the run time and memory at the defaults. With -json one
// line is printed on stdout:
//
//	{"estimator","weights":[[..]],"efield_fraction":[..],"noise_fraction":[..],
//	 "efield_angle_deg":x,"mi_bits":x}
//
// efield_fraction[j] is the share of unit j's squared weights in the span of
// the two staggered patterns E_x, E_y; noise_fraction[j] the share on noise
// spins; efield_angle_deg the angle between the projections of units 0 and 1
// onto that plane, as lines (0–90°; 90° means the two components are found
// separately). With -Ts the summary holds the last temperature's filters and
// "mi_vs_T" lists [T, MI] pairs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"

	"github.com/rsmi-go/rsmi/examples/internal/cli"
	"github.com/rsmi-go/rsmi/examples/internal/plots"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

type summary struct {
	Estimator      string       `json:"estimator"`
	L              int          `json:"L"`
	T              float64      `json:"T"`
	V              float64      `json:"V"`
	N              int          `json:"n"`
	Pairs          int          `json:"pairs"`
	Steps          int          `json:"steps"`
	Seed           int          `json:"best_seed"`
	Weights        [][]float64  `json:"weights"`
	EFieldFraction []float64    `json:"efield_fraction"`
	NoiseFraction  []float64    `json:"noise_fraction"`
	EFieldAngle    float64      `json:"efield_angle_deg"`
	MI             float64      `json:"mi_bits"`
	SeedMI         []float64    `json:"seed_mi_bits"`
	MIvsT          [][2]float64 `json:"mi_vs_T,omitempty"`
}

type config struct {
	L                   int
	T, V                float64
	Ts                  []float64
	noise, sym          bool
	n, every, chains    int
	seed                uint64
	data                string
	estimator           string
	nh                  int
	block, buffer, env  int
	pstride             int
	steps, seeds, batch int
	lr, norm, tauEnd    float64
	outdir              string // figures' directory; "": no figures
	quiet               bool
	ck                  *cli.Checkpoint // -checkpoint/-resume; nil: none
	stderr              io.Writer       // progress and summary; nil: os.Stderr
}

func main() {
	var c config
	var ts string
	flag.IntVar(&c.L, "L", 32, "linear size in sites (even)")
	flag.Float64Var(&c.T, "T", 1, "temperature (units of |V|; irrelevant at V = 0)")
	flag.Float64Var(&c.V, "V", 0, "aligned-plaquette interaction per flippable plaquette (V < 0: columnar order at low T)")
	flag.StringVar(&ts, "Ts", "", "comma-separated temperatures: train at each and plot MI against T (dimer_mi_T.png)")
	flag.BoolVar(&c.noise, "noise", true, "noise spins on sites and faces (part of V and E)")
	flag.BoolVar(&c.sym, "sym", false, "add each sample's 90° rotation and diagonal one-site translation (needed in the columnar phase, where chains do not tunnel; default on with -V ≠ 0)")
	flag.IntVar(&c.n, "n", 1000, "number of samples (split over chains)")
	flag.IntVar(&c.every, "every", 0, "loop steps between samples (0: about one sweep, from a pilot run)")
	flag.IntVar(&c.chains, "chains", 2, "independent Monte Carlo chains")
	flag.Uint64Var(&c.seed, "seed", 1, "random seed")
	flag.StringVar(&c.data, "data", "", "load samples from this .npy file (as written by examples/sample) instead of sampling")
	flag.StringVar(&c.estimator, "estimator", "infonce", "estimator: infonce (RSMI-NE) or proxy (the paper's RBM proxy)")
	flag.IntVar(&c.nh, "nh", 2, "hidden units of the filter")
	flag.IntVar(&c.block, "block", 8, "block size on the doubled grid (8 = 4×4 sites)")
	flag.IntVar(&c.buffer, "buffer", 4, "buffer width on the doubled grid")
	flag.IntVar(&c.env, "env", 4, "environment width on the doubled grid")
	flag.IntVar(&c.pstride, "pstride", 4, "block positions every pstride sites along each axis")
	flag.IntVar(&c.steps, "steps", 3000, "Adam steps per training run")
	flag.IntVar(&c.seeds, "seeds", 2, "training runs with different seeds; the best by held-out MI is kept")
	flag.IntVar(&c.batch, "batch", 256, "InfoNCE batch size (the bound is at most log2(batch) bits)")
	flag.Float64Var(&c.lr, "lr", 0.01, "filter learning rate (Adam)")
	flag.Float64Var(&c.tauEnd, "tau-end", 0.3, "InfoNCE: final relaxed-Bernoulli temperature (the dimer filters saturate, so 0.3 is close to hard units and trains more reliably than the library default 0.05)")
	flag.Float64Var(&c.norm, "norm", 0, "fix every unit's weight norm (0: free for infonce, 2 for proxy)")
	flag.StringVar(&c.outdir, "outdir", ".", "directory for the PNG figures (empty: no figures)")
	asJSON := flag.Bool("json", false, "print one JSON summary line on stdout")
	flag.BoolVar(&c.quiet, "q", false, "no progress lines or text summary on stderr")
	c.ck = cli.CheckpointFlags()
	cli.Usage("dimer learns the RSMI filters of close-packed dimers on the square lattice: the two components of the electric field (paper Fig. 4).")
	cli.Parse()
	var errT error
	c.Ts, errT = cli.Floats(ts, "-Ts")
	if err := errors.Join(c.ck.Validate(), errT, cli.Outdir(c.outdir)); err != nil {
		cli.Fatal(err)
	}
	symSet := false
	flag.Visit(func(f *flag.Flag) { symSet = symSet || f.Name == "sym" })
	if !symSet && c.V != 0 {
		c.sym = true
	}
	cli.Main(func(ctx context.Context) (*summary, error) { return run(ctx, c) }, *asJSON)
}

// printText writes the text summary.
func printText(rep *cli.Reporter, s *summary) {
	rep.Logf("dimers L=%d V=%g T=%g, %d samples, %d pairs, estimator %s, %d steps\n", s.L, s.V, s.T, s.N, s.Pairs, s.Estimator, s.Steps)
	rep.Logf("  MI per seed (bits): %.4f; kept seed %d: %.4f bits\n", s.SeedMI, s.Seed, s.MI)
	for j := range s.EFieldFraction {
		rep.Logf("  unit %d: E-field fraction %.3f, noise fraction %.4f\n", j+1, s.EFieldFraction[j], s.NoiseFraction[j])
	}
	if len(s.EFieldFraction) > 1 {
		rep.Logf("  angle between units in the (E_x, E_y) plane: %.1f°\n", s.EFieldAngle)
	}
	for _, p := range s.MIvsT {
		rep.Logf("  T = %-6g MI = %.4f bits\n", p[0], p[1])
	}
}

func run(ctx context.Context, c config) (*summary, error) {
	if c.estimator != "infonce" && c.estimator != "proxy" {
		return nil, fmt.Errorf("unknown -estimator %q (want infonce or proxy)", c.estimator)
	}
	if c.seeds < 1 || c.steps < 1 || c.nh < 1 || c.pstride < 1 || c.env < 1 {
		return nil, errors.New("-seeds, -steps, -nh, -pstride and -env must be at least 1")
	}
	temps := c.Ts
	if temps == nil {
		temps = []float64{c.T}
	}
	rep := cli.NewReporterTo(c.stderr, c.quiet)
	defer rep.Close()
	rep.Logf("close-packed dimers, L = %d, V = %g: %d samples from %d loop-algorithm chains, estimator %s, %d hidden units, %d×%d Adam steps\n",
		c.L, c.V, c.n, c.chains, c.estimator, c.nh, c.seeds, c.steps)
	var s *summary
	var curve [][2]float64
	for _, T := range temps {
		c.T = T
		var err error
		s, err = runOne(ctx, c, rep)
		if err != nil {
			return nil, err
		}
		curve = append(curve, [2]float64{T, s.MI})
	}
	if c.Ts != nil {
		s.MIvsT = curve
		if err := miFigure(c, curve); err != nil {
			return nil, err
		}
	}
	rep.Close()
	printText(rep, s)
	return s, nil
}

// miFigure writes dimer_mi_T.png: the MI of the kept filter against T, with
// the bound nh bits of nh binary hidden units.
func miFigure(c config, curve [][2]float64) error {
	if c.outdir == "" {
		return nil
	}
	xs, ys := make([]float64, len(curve)), make([]float64, len(curve))
	for i, p := range curve {
		xs[i], ys[i] = p[0], p[1]
	}
	lim := float64(c.nh)
	return plots.Lines(filepath.Join(c.outdir, "dimer_mi_T.png"), fmt.Sprintf("RSMI filters of interacting dimers, V = %g, L = %d, %d hidden units", c.V, c.L, c.nh),
		"temperature T (units of |V|)", "mutual information I_Λ(H:E) (bits)",
		[]plots.Series{{Name: estimatorName[c.estimator], X: xs, Y: ys, Points: true},
			plots.Ref(fmt.Sprintf("log_2 2^{%d} = %d bits (bound of %d binary units)", c.nh, c.nh, c.nh), lim, xs[0], xs[len(xs)-1])})
}

// runOne samples (or reads) the dimers at c.T, trains the filters and
// draws them.
func runOne(ctx context.Context, c config, rep *cli.Reporter) (*summary, error) {
	ds, err := dataset(ctx, c, rep)
	if err != nil {
		return nil, err
	}
	if c.sym {
		if ds, err = symmetrize(ds); err != nil {
			return nil, err
		}
	}
	g := ds.Geom
	ext := g.Extents()
	if len(ext) != 2 || ext[0] != ext[1] || ext[0]%2 != 0 {
		return nil, fmt.Errorf("the data's geometry %v is not a doubled square grid", ext)
	}
	L := ext[0] / 2
	reg, err := rsmi.NewRegions(g, []int{c.block, c.block}, &rsmi.RegionOptions{Buffer: c.buffer, Env: c.env,
		// translations by whole lattice sites only: with noise spins every
		// grid point holds a dof, and the geometry's own period (1) would
		// mix links with noise spins
		Stride: []int{2, 2}})
	if err != nil {
		return nil, err
	}
	var pos []int
	for p := 0; p < reg.NumPositions(); p++ {
		o := reg.Origin(p)
		if (o[0]/2)%c.pstride == 0 && (o[1]/2)%c.pstride == 0 {
			pos = append(pos, p)
		}
	}
	pairs, err := reg.PairsAt(ds, pos)
	if err != nil {
		return nil, err
	}
	s := &summary{Estimator: c.estimator, L: L, T: c.T, V: c.V, N: ds.N, Pairs: pairs.N, Steps: c.steps}
	// the seeds' runs train concurrently; the best by held-out MI is kept
	res, err := trainSeeds(ctx, c, pairs, rep)
	if err != nil {
		return nil, err
	}
	for _, r := range res.Runs {
		s.SeedMI = append(s.SeedMI, r.MI)
	}
	best := res.Filter
	s.Seed, s.MI = res.Best+1, res.Runs[res.Best].MI
	an := analyse(reg, best)
	s.Weights, s.EFieldFraction, s.NoiseFraction, s.EFieldAngle = an.weights, an.efield, an.noise, an.angle
	if c.outdir != "" {
		rep.Begin("figure")
		if err := filterFigure(c, L, s, an); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// estimatorName names the -estimator values in figures.
var estimatorName = map[string]string{"infonce": "InfoNCE lower bound", "proxy": "RBM cumulant proxy"}

// filterFigure writes dimer_filters.png: each hidden unit's weights at
// their doubled-grid coordinates, every cell marked as what it holds.
func filterFigure(c config, L int, s *summary, an analysis) error {
	panels := make([]plots.Panel, c.nh)
	for j := range panels {
		panels[j] = plots.Panel{Title: fmt.Sprintf("hidden unit %d: %.0f%% on the E-field", j+1, 100*an.efield[j]), Grid: an.grids[j],
			XLabel: "X (doubled grid)", YLabel: "Y (doubled grid)", Marks: an.marks}
	}
	title := fmt.Sprintf("RSMI filters of close-packed dimers on the doubled grid, L = %d, V = %g, T = %g\n%s of I_Λ(H:E): %.3f bits",
		L, c.V, c.T, estimatorName[c.estimator], s.MI)
	name := "dimer_filters.png"
	if len(c.Ts) > 1 {
		name = fmt.Sprintf("dimer_filters_T%g.png", c.T)
	}
	return plots.Heatmaps(filepath.Join(c.outdir, name), title, "filter weight λ_i", panels)
}

// symmetrize returns the dataset with every sample followed by its images
// under a 90° rotation and a diagonal translation by one site (four copies,
// sample-major, so held-out pairs still come from held-out samples). In the
// columnar phase a Monte Carlo chain stays in one of the four columnar
// states; the images restore the symmetry the finite chains break.
func symmetrize(ds *sample.Dataset) (*sample.Dataset, error) {
	g := ds.Geom
	ext := g.Extents()
	if len(ext) != 2 || ext[0] != ext[1] {
		return nil, fmt.Errorf("-sym needs a square doubled grid, got extents %v", ext)
	}
	n := ext[0]
	// The 90° rotation (X, Y) → (−Y, X) of the square's point group
	// (lattice.PointGroup), acting on the doubled grid about a site: sites
	// go to sites, right links to up links and back, faces to faces.
	group, err := lattice.PointGroup(2)
	if err != nil {
		return nil, err
	}
	var quarter lattice.Symmetry
	for _, e := range group {
		if e.Perm[0] == 1 && e.Flip[0] && !e.Flip[1] {
			quarter = e
		}
	}
	// permutations on dof indices: the image's dof perm[i] takes the value of dof i
	rot := make([]int, ds.D)
	shift := make([]int, ds.D)
	var c, r []int
	for i := 0; i < ds.D; i++ {
		c = g.Coord(i, c)
		r = quarter.Apply(r, c)
		rot[i] = g.At((r[0]%n+n)%n, (r[1]%n+n)%n)
		shift[i] = g.At((c[0]+2)%n, (c[1]+2)%n)
		if rot[i] < 0 || shift[i] < 0 {
			return nil, fmt.Errorf("-sym: the geometry is not invariant under rotation and translation (dof %d)", i)
		}
	}
	out := make([]int8, 0, 4*len(ds.Data))
	a := make([]int8, ds.D)
	b := make([]int8, ds.D)
	for k := 0; k < ds.N; k++ {
		row := ds.Row(k)
		for i, j := range rot {
			a[j] = row[i]
		}
		out = append(out, row...)
		out = append(out, a...)
		for _, x := range [][]int8{row, a} {
			for i, j := range shift {
				b[j] = x[i]
			}
			out = append(out, b...)
		}
	}
	return sample.NewDataset(g, out)
}

// trainSeeds trains c.seeds filters (seed k+1 for run k) with
// rsmi.TrainBest and keeps the one with the largest held-out MI.
func trainSeeds(ctx context.Context, c config, pairs *rsmi.Pairs, rep *cli.Reporter) (*rsmi.BestResult[*rsmi.Filter], error) {
	norm := c.norm
	if c.estimator == "proxy" && norm == 0 {
		norm = 2 // the cumulant proxy grows without bound with ‖Λ‖
	}
	trial := func(ctx context.Context, k int) (rsmi.Estimator, *rsmi.Filter, error) {
		seed := uint64(k + 1)
		f, err := rsmi.NewFilter(c.nh, pairs.NV, rand.NewPCG(c.seed, 100+seed))
		if err != nil {
			return nil, nil, err
		}
		if c.estimator == "proxy" {
			est, err := rsmi.NewRBMProxy(ctx, pairs, rand.NewPCG(c.seed, 200+seed), nil)
			return est, f, err
		}
		est, err := rsmi.NewInfoNCE(pairs, rand.NewPCG(c.seed, 200+seed), &rsmi.InfoNCEOptions{Batch: c.batch, TempEnd: c.tauEnd})
		return est, f, err
	}
	return rsmi.TrainBest(ctx, c.seeds, trial, &rsmi.BestOptions{
		Train:    &rsmi.TrainOptions{Steps: c.steps, LearningRate: c.lr, Norm: norm, Checkpoint: c.ck.Options(fmt.Sprintf("dimer-T%g.ckpt", c.T))},
		Progress: rep.Stage(fmt.Sprintf("T = %g: training %d filters", c.T, c.seeds)),
	})
}

// dataset loads -data or samples the dimer model with the loop algorithm.
func dataset(ctx context.Context, c config, rep *cli.Reporter) (*sample.Dataset, error) {
	if c.data != "" {
		return sample.LoadDataset(c.data)
	}
	if c.n < 1 || c.chains < 1 || c.n%c.chains != 0 {
		return nil, fmt.Errorf("-n %d must be a positive multiple of -chains %d", c.n, c.chains)
	}
	m, err := lattice.NewDimer(c.L, lattice.DimerOptions{V: c.V, NoiseSpins: c.noise})
	if err != nil {
		return nil, err
	}
	every := c.every
	if every <= 0 {
		// pilot run on its own stream: the number of loops per sweep, fixed
		// before sampling (as examples/sample does)
		rep.Begin(fmt.Sprintf("T = %g: pilot run (loops per sweep)", c.T))
		p, err := sample.NewDimerLoop(m, c.T, rand.NewPCG(c.seed, 0x9e3779b97f4a7c15))
		if err != nil {
			return nil, err
		}
		for i := 0; i < 20*c.L*c.L && ctx.Err() == nil; i++ {
			p.Step()
		}
		every = p.SweepSteps()
	}
	return sample.Collect(ctx, func(src rand.Source) (sample.Sampler, error) {
		return sample.NewDimerLoop(m, c.T, src)
	}, sample.Plan{Chains: c.chains, BurnIn: 50 * every, Every: every, PerChain: c.n / c.chains, Progress: rep.Stage(fmt.Sprintf("T = %g: sampling", c.T))}, rand.NewPCG(c.seed, 1))
}

type analysis struct {
	weights       [][]float64
	efield, noise []float64
	angle         float64
	grids         [][][]float64
	marks         []plots.Marks // the cells of the block by kind, for the figure
}

// analyse projects each hidden unit's weights on the staggered link patterns
// of the block at position 0: on the doubled grid a dof at relative
// coordinates (X, Y) is a right link if X is odd and Y even, an up link if X
// is even and Y odd, and a noise spin otherwise (site or face); the pattern
// sign is (−1)^(x+y) of its site (x, y) = (⌊X/2⌋, ⌊Y/2⌋).
func analyse(r *rsmi.Regions, f *rsmi.Filter) analysis {
	g := r.Geometry()
	o := r.Origin(0)
	ext := g.Extents()
	b := r.Block()
	ex := make([]float64, f.NV)
	ey := make([]float64, f.NV)
	isNoise := make([]bool, f.NV)
	X := make([]int, f.NV)
	Y := make([]int, f.NV)
	var c []int
	for i, d := range r.V(0) {
		c = g.Coord(int(d), c)
		X[i] = ((c[0]-o[0])%ext[0] + ext[0]) % ext[0]
		Y[i] = ((c[1]-o[1])%ext[1] + ext[1]) % ext[1]
		sign := 1.0
		if (X[i]/2+Y[i]/2)%2 != 0 {
			sign = -1
		}
		switch {
		case X[i]%2 == 1 && Y[i]%2 == 0:
			ex[i] = sign
		case X[i]%2 == 0 && Y[i]%2 == 1:
			ey[i] = sign
		default:
			isNoise[i] = true
		}
	}
	var a analysis
	a.marks = cellMarks(X, Y)
	normalize := func(p []float64) {
		var s float64
		for _, x := range p {
			s += x * x
		}
		for i := range p {
			p[i] /= math.Sqrt(s)
		}
	}
	normalize(ex)
	normalize(ey)
	proj := make([][2]float64, f.NH)
	for j := 0; j < f.NH; j++ {
		w := f.W[j*f.NV : (j+1)*f.NV]
		a.weights = append(a.weights, append([]float64(nil), w...))
		var n2, px, py, nz float64
		grid := make([][]float64, b[1])
		for y := range grid {
			grid[y] = make([]float64, b[0])
		}
		for i, x := range w {
			n2 += x * x
			px += x * ex[i]
			py += x * ey[i]
			if isNoise[i] {
				nz += x * x
			}
			grid[Y[i]][X[i]] = x
		}
		proj[j] = [2]float64{px, py}
		a.efield = append(a.efield, (px*px+py*py)/n2)
		a.noise = append(a.noise, nz/n2)
		a.grids = append(a.grids, grid)
	}
	if f.NH > 1 {
		// smallest angle between the lines of any two units' projections
		a.angle = 90
		for j := 0; j < f.NH; j++ {
			for k := j + 1; k < f.NH; k++ {
				p, q := proj[j], proj[k]
				cos := math.Abs(p[0]*q[0]+p[1]*q[1]) / math.Hypot(p[0], p[1]) / math.Hypot(q[0], q[1])
				a.angle = math.Min(a.angle, math.Acos(math.Min(1, cos))*180/math.Pi)
			}
		}
	}
	return a
}

// cellMarks sorts the block's cells at doubled-grid coordinates (X[i],
// Y[i]) by kind: sites (X, Y even), right links (X odd), up links (Y odd)
// and faces (both odd); kinds with no cell are left out.
func cellMarks(X, Y []int) []plots.Marks {
	marks := []plots.Marks{
		{Name: "site (noise spin)", Glyph: plots.Dot},
		{Name: "right link (dimer)", Glyph: plots.HBar},
		{Name: "up link (dimer)", Glyph: plots.VBar},
		{Name: "face (noise spin)", Glyph: plots.Square},
	}
	for i := range X {
		k := X[i]%2 + 2*(Y[i]%2)
		marks[k].Cells = append(marks[k].Cells, [2]int{X[i], Y[i]})
	}
	var out []plots.Marks
	for _, m := range marks {
		if len(m.Cells) > 0 {
			out = append(out, m)
		}
	}
	return out
}
