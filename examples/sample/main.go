// Command sample is a command-line Monte Carlo sampler for the library's
// built-in models: it draws configurations, prints observables with error
// bars from a binning analysis, and optionally writes the samples as a NumPy
// .npy file (with a .geom.json geometry sidecar) for RSMI or for Python.
//
// Usage:
//
//	go run ./examples/sample -model ising2d -L 32 -T 2.269185 -sampler wolff -n 2000 -json
//	go run ./examples/sample -model dimer -L 16 -V -1 -T 0.5 -sampler loop -out dimers.npy
//
// Models: ising1d, ising2d, ising3d (nearest-neighbour coupling -J), dimer
// (close-packed dimers with aligned-plaquette interaction -V). Samplers:
// metropolis, heatbath, wolff, sw (Swendsen–Wang), msc (one lattice
// multi-spin coded, 64 sites per machine word, 2D and 3D, even L), multispin
// (64 replicas coded in the bits of machine words, 2D and 3D, even L) for
// Ising; loop for dimers.
// -every is the number of sampler steps between stored samples: sweeps for
// metropolis, heatbath and sw, clusters for wolff, loops for the dimer loop
// sampler; 0 chooses about one sweep's worth of work (sample.PilotEvery: a
// pilot run of the cluster or loop sampler before sampling).
//
// With -json it prints one line on stdout:
//
//	{"model","L","T","sampler","n","energy","energy_err","specific_heat","m2","abs_m","binder","tau_int"}
//
// energy and specific heat per degree of freedom (per site for dimers), errors
// one standard error from binning; dimers report "flippable" (fraction of
// flippable plaquettes) and "winding" [Wx, Wy] averages instead of the
// magnetization moments. A progress bar is drawn on stderr for runs longer
// than a second.
//
// Sharded sampling: -shard K makes this run shard K of a larger job. Its
// chains are seeded from sample.ShardSource(-seed, K) instead of the
// unsharded stream, so shards with distinct K are distinct streams by
// construction and any batch scheduler can run them in parallel, e.g.
//
//	for k in 0 1 2 3; do go run ./examples/sample -L 64 -n 2000 -shard $k -out shard$k.npy & done; wait
//	go run ./examples/sample -L 64 -merge shard0.npy,shard1.npy,shard2.npy,shard3.npy -out all.npy -json
//
// -merge "a.npy,b.npy,…" samples nothing: it loads the listed files (±1 or
// 0/1 values, geometry from their .geom.json sidecars or their shapes),
// concatenates them in the order given with sample.Merge — which refuses
// files of different geometries, naming the file — checks that the geometry
// is the one of -model and -L (pass the model flags the shards were made
// with), prints the summary of the merged samples and writes them to -out.
// With a single file, -merge summarizes existing data (e.g. from Python);
// -data FILE.npy is the same.
// The pilot run that picks -every uses the unsharded seed, so all shards of
// one -seed share the same thinning.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/rsmi-go/rsmi/examples/internal/cli"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

type summary struct {
	Model        string    `json:"model"`
	L            int       `json:"L"`
	T            float64   `json:"T"`
	Sampler      string    `json:"sampler"`
	N            int       `json:"n"`
	Energy       float64   `json:"energy"`
	EnergyErr    float64   `json:"energy_err"`
	SpecificHeat float64   `json:"specific_heat"`
	M2           *float64  `json:"m2,omitempty"`
	AbsM         *float64  `json:"abs_m,omitempty"`
	Binder       *float64  `json:"binder,omitempty"`
	Flippable    *float64  `json:"flippable,omitempty"`
	Winding      []float64 `json:"winding,omitempty"`
	TauInt       float64   `json:"tau_int"`
	Out          string    `json:"out,omitempty"`
}

func main() {
	var (
		model   = flag.String("model", "ising2d", "model: ising1d, ising2d, ising3d or dimer")
		L       = flag.Int("L", 32, "linear size (sites per axis)")
		T       = flag.Float64("T", 2.269185, "temperature (units of J; for dimers units of |V| or 1)")
		J       = flag.Float64("J", 1, "Ising nearest-neighbour coupling (J > 0 ferromagnetic)")
		V       = flag.Float64("V", 0, "dimer aligned-plaquette interaction per flippable plaquette (V < 0 favours columnar order)")
		noise   = flag.Bool("noise", false, "dimers: add noise spins on sites and faces (as in the RSMI paper)")
		smp     = flag.String("sampler", "", "sampler: metropolis, heatbath, wolff, sw, msc, multispin (Ising; msc and multispin need even L; multispin stores 64 independent replicas per step) or loop (dimers); default wolff for Ising, loop for dimers")
		burn    = flag.Int("sweeps", 0, "burn-in steps per chain before the first stored sample (0: 20 × every, at least 4·L² sweeps for local samplers, plus N/4 clusters for wolff)")
		every   = flag.Int("every", 0, "sampler steps between stored samples (0: about one sweep)")
		n       = flag.Int("n", 2000, "number of samples in total (split over chains)")
		chains  = flag.Int("chains", 2, "independent chains run in parallel")
		seed    = flag.Uint64("seed", 1, "random seed")
		out     = flag.String("out", "", "write the samples to this .npy file (and a .geom.json sidecar)")
		asJSON  = flag.Bool("json", false, "print one JSON summary line on stdout")
		verbose = flag.Bool("v", false, "print the summary as text on stderr as well")
		shard   = flag.Int("shard", -1, "run shard K ≥ 0 of a sharded job: chains seeded from sample.ShardSource(-seed, K)")
		merge   = flag.String("merge", "", "comma-separated .npy files (shards) to merge instead of sampling; use the shards' model flags")
		data    = flag.String("data", "", "summarize the samples in this .npy file instead of sampling (same as -merge with one file)")
	)
	cli.Parse()
	c := config{model: *model, L: *L, T: *T, J: *J, V: *V, noise: *noise, sampler: *smp, burn: *burn, every: *every,
		n: *n, chains: *chains, replicas: 1, seed: *seed, out: *out, sharded: *shard != -1, shard: *shard}
	if *merge != "" && *data != "" {
		cli.Fatal(fmt.Errorf("-data and -merge exclude each other"))
	}
	if *merge != "" {
		c.merge = strings.Split(*merge, ",")
	}
	if *data != "" {
		c.merge = []string{*data}
	}
	s := cli.Main(func(ctx context.Context) (*summary, error) { return run(ctx, c) }, *asJSON)
	if !*asJSON || *verbose {
		printText(s)
	}
}

type config struct {
	model          string
	L              int
	T, J, V        float64
	noise          bool
	sampler        string
	burn, every, n int
	chains         int
	replicas       int // rows stored per chain and step (1, or 64 for multispin)
	seed           uint64
	out            string
	sharded        bool // this run is shard number shard (-shard)
	shard          int
	merge          []string // files to merge instead of sampling (-merge)
	nsites         int      // sites of the lattice (for the Wolff burn-in)
}

func printText(s *summary) {
	w := os.Stderr
	if s != nil {
		fmt.Fprintf(w, "%s L=%d T=%g sampler=%s n=%d\n", s.Model, s.L, s.T, s.Sampler, s.N)
		fmt.Fprintf(w, "  energy per dof  %.6f ± %.6f\n", s.Energy, s.EnergyErr)
		fmt.Fprintf(w, "  specific heat   %.5f\n", s.SpecificHeat)
		if s.M2 != nil {
			fmt.Fprintf(w, "  <m²> %.5f  <|m|> %.5f  Binder %.5f\n", *s.M2, *s.AbsM, *s.Binder)
		}
		if s.Flippable != nil {
			fmt.Fprintf(w, "  flippable %.5f  winding (%.3f, %.3f)\n", *s.Flippable, s.Winding[0], s.Winding[1])
		}
		fmt.Fprintf(w, "  tau_int (energy, in stored samples) %.2f\n", s.TauInt)
		if s.Out != "" {
			fmt.Fprintf(w, "  wrote %s\n", s.Out)
		}
	}
}

func run(ctx context.Context, c config) (*summary, error) {
	if c.n < 1 || c.chains < 1 {
		return nil, fmt.Errorf("need -n ≥ 1 and -chains ≥ 1 (got %d, %d)", c.n, c.chains)
	}
	if c.n%c.chains != 0 {
		return nil, fmt.Errorf("-n %d is not a multiple of -chains %d", c.n, c.chains)
	}
	if c.every < 0 || c.burn < 0 {
		return nil, fmt.Errorf("-every and -sweeps must not be negative")
	}
	if err := checkShardFlags(c); err != nil {
		return nil, err
	}
	switch c.model {
	case "ising1d", "ising2d", "ising3d":
		return runIsing(ctx, c)
	case "dimer":
		return runDimer(ctx, c)
	}
	return nil, fmt.Errorf("unknown -model %q (want ising1d, ising2d, ising3d or dimer)", c.model)
}

func runIsing(ctx context.Context, c config) (*summary, error) {
	dim := int(c.model[5] - '0')
	ext := make([]int, dim)
	for i := range ext {
		ext[i] = c.L
	}
	lat, err := lattice.NewLattice(ext...)
	if err != nil {
		return nil, err
	}
	c.nsites = lat.N()
	m, err := lattice.NewNearestNeighborIsing(lat, c.J)
	if err != nil {
		return nil, err
	}
	if c.sampler == "" {
		c.sampler = "wolff"
	}
	var factory sample.Factory
	switch c.sampler {
	case "metropolis":
		factory = func(src rand.Source) (sample.Sampler, error) { return sample.NewMetropolis(m, c.T, src) }
	case "heatbath":
		factory = func(src rand.Source) (sample.Sampler, error) { return sample.NewHeatBath(m, c.T, src) }
	case "wolff":
		factory = func(src rand.Source) (sample.Sampler, error) { return sample.NewWolff(m, c.T, src) }
	case "sw":
		factory = func(src rand.Source) (sample.Sampler, error) { return sample.NewSwendsenWang(m, c.T, src) }
	case "msc":
		factory = func(src rand.Source) (sample.Sampler, error) { return sample.NewMSC(m, c.T, src) }
	case "multispin":
		factory = func(src rand.Source) (sample.Sampler, error) { return sample.NewMultispin(m, c.T, src) }
		if c.n%(c.chains*sample.MultispinReplicas) != 0 {
			return nil, fmt.Errorf("-sampler multispin stores %d replicas per chain and step: -n %d must be a multiple of %d·chains", sample.MultispinReplicas, c.n, sample.MultispinReplicas)
		}
		c.replicas = sample.MultispinReplicas
	default:
		return nil, fmt.Errorf("unknown -sampler %q for %s (want metropolis, heatbath, wolff, sw, msc or multispin)", c.sampler, c.model)
	}
	if c.every == 0 {
		if c.every, err = pilotEvery(ctx, factory, c.seed, nil); err != nil {
			return nil, err
		}
	}
	ds, err := collect(ctx, c, factory)
	if err != nil {
		return nil, err
	}
	N := float64(lat.N())
	e := make([]float64, ds.N)
	m1 := make([]float64, ds.N)
	for i := range e {
		row := ds.Row(i)
		e[i] = m.Energy(row) / N
		var sum int
		for _, v := range row {
			sum += int(v)
		}
		m1[i] = float64(sum) / N
	}
	s := energySummary(c, ds.N, e, N)
	var m2, m4, am []float64
	for _, x := range m1 {
		m2 = append(m2, x*x)
		m4 = append(m4, x*x*x*x)
		am = append(am, math.Abs(x))
	}
	mm2, mm4, mam := sample.Mean(m2), sample.Mean(m4), sample.Mean(am)
	binder := 1 - mm4/(3*mm2*mm2)
	s.M2, s.AbsM, s.Binder = &mm2, &mam, &binder
	return s, save(c, ds, s)
}

// pilotEvery picks the number of steps between stored samples so that one
// interval does about one sweep's worth of work (sample.PilotEvery: 1 for
// sweep-based samplers, from a short pilot run on its own stream for the
// cluster and loop samplers), before sampling starts, so the schedule is
// fixed in advance and unbiased.
func pilotEvery(ctx context.Context, factory sample.Factory, seed uint64, opts *sample.PilotOptions) (int, error) {
	return sample.PilotEvery(ctx, factory, rand.NewPCG(seed, 0x9e3779b97f4a7c15), opts)
}

func collect(ctx context.Context, c config, factory sample.Factory) (*sample.Dataset, error) {
	if len(c.merge) > 0 {
		return mergeShards(c, factory)
	}
	src, err := masterSource(c)
	if err != nil {
		return nil, err
	}
	burn := c.burn
	if burn == 0 {
		burn = 20 * c.every
		switch c.sampler {
		case "metropolis", "heatbath", "msc", "multispin":
			// local updates relax slowly near T_c (z ≈ 2.17 in 2D)
			burn = max(burn, 4*c.L*c.L)
		case "wolff":
			// from a random start clusters stay tiny for about N/16
			// clusters before they reach equilibrium size
			burn += c.nsites / 4
		}
	}
	bar := cli.NewBar("sampling")
	defer bar.Done()
	reps := max(c.replicas, 1)
	return sample.Collect(ctx, factory, sample.Plan{
		Chains:   c.chains,
		BurnIn:   burn,
		Every:    c.every,
		PerChain: c.n / (c.chains * reps),
		Replicas: reps > 1,
		Progress: bar.Progress,
	}, src)
}

// energySummary fills the energy, its binning error, the specific heat per
// dof c = N·var(e)/T² and τ_int of the energy series. Samples are
// concatenated chain by chain; the binning error treats the series as one.
func energySummary(c config, n int, e []float64, N float64) *summary {
	mean, err := sample.BinningError(e)
	var v float64
	for _, x := range e {
		v += (x - mean) * (x - mean)
	}
	v /= float64(len(e))
	tau, _ := sample.TauInt(e)
	return &summary{
		Model: c.model, L: c.L, T: c.T, Sampler: c.sampler, N: n,
		Energy: mean, EnergyErr: err, SpecificHeat: N * v / (c.T * c.T), TauInt: tau,
	}
}

func save(c config, ds *sample.Dataset, s *summary) error {
	if c.out == "" {
		return nil
	}
	if err := sample.SaveDataset(c.out, ds); err != nil {
		return err
	}
	s.Out = c.out
	return nil
}

func runDimer(ctx context.Context, c config) (*summary, error) {
	m, err := lattice.NewDimer(c.L, lattice.DimerOptions{V: c.V, NoiseSpins: c.noise})
	if err != nil {
		return nil, err
	}
	if c.sampler == "" {
		c.sampler = "loop"
	}
	if c.sampler != "loop" {
		return nil, fmt.Errorf("unknown -sampler %q for dimers (want loop)", c.sampler)
	}
	factory := func(src rand.Source) (sample.Sampler, error) { return sample.NewDimerLoop(m, c.T, src) }
	if c.every == 0 {
		// 100 loops estimate the mean loop length well; at V ≠ 0 each Step
		// also carries L² plaquette-flip attempts.
		if c.every, err = pilotEvery(ctx, factory, c.seed, &sample.PilotOptions{Warm: 50, Measure: 50}); err != nil {
			return nil, err
		}
	}
	ds, err := collect(ctx, c, factory)
	if err != nil {
		return nil, err
	}
	sites := float64(m.NumSites())
	e := make([]float64, ds.N)
	fl := make([]float64, ds.N)
	var wx, wy float64
	for i := range e {
		row := ds.Row(i)
		f := m.Flippable(row)
		e[i] = c.V * float64(f) / sites
		fl[i] = float64(f) / sites
		a, b := m.Winding(row)
		wx += float64(a)
		wy += float64(b)
	}
	s := energySummary(c, ds.N, e, sites)
	if c.V == 0 {
		// every covering has energy 0: report the statistics of the
		// flippable fraction instead of a zero series
		s.TauInt, _ = sample.TauInt(fl)
	}
	f := sample.Mean(fl)
	s.Flippable = &f
	s.Winding = []float64{wx / float64(ds.N), wy / float64(ds.N)}
	return s, save(c, ds, s)
}

// checkShardFlags validates -shard and -merge.
func checkShardFlags(c config) error {
	if c.sharded && c.shard < 0 {
		return fmt.Errorf("-shard %d: want a shard index ≥ 0", c.shard)
	}
	if c.sharded && len(c.merge) > 0 {
		return fmt.Errorf("-shard and -merge exclude each other: sample the shards first, then merge them")
	}
	for i, p := range c.merge {
		if strings.TrimSpace(p) == "" {
			return fmt.Errorf("-merge: entry %d of the list is empty", i+1)
		}
	}
	return nil
}

// masterSource is the source Collect derives the chains' streams from: the
// unsharded stream of -seed, or shard K's (sample.ShardSource).
func masterSource(c config) (rand.Source, error) {
	if !c.sharded {
		return rand.NewPCG(c.seed, 1), nil
	}
	return sample.ShardSource(c.seed, c.shard)
}

// mergeShards loads the -merge files, merges them in order and checks the
// result against the geometry of the model the flags describe (taken from
// one sampler built by factory).
func mergeShards(c config, factory sample.Factory) (*sample.Dataset, error) {
	parts := make([]*sample.Dataset, len(c.merge))
	for i, p := range c.merge {
		ds, err := sample.LoadDatasetWith(strings.TrimSpace(p), &sample.ReadOptions{Values: sample.MapAuto})
		if err != nil {
			return nil, err
		}
		parts[i] = ds
	}
	ds, err := sample.Merge(parts...)
	if err != nil {
		// name the file rather than the part index
		for i := 1; i < len(parts); i++ {
			if !parts[i].Geom.Equal(parts[0].Geom) {
				return nil, fmt.Errorf("-merge: %s (extents %v, %d dofs) and %s (extents %v, %d dofs) have different geometries: %w",
					c.merge[i], parts[i].Geom.Extents(), parts[i].D, c.merge[0], parts[0].Geom.Extents(), parts[0].D, err)
			}
		}
		return nil, err
	}
	s, err := factory(rand.NewPCG(c.seed, 1))
	if err != nil {
		return nil, err
	}
	if g := s.Geometry(); !g.Equal(ds.Geom) {
		return nil, fmt.Errorf("-merge: the files hold a geometry of extents %v with %d dofs, but -model %s -L %d has extents %v with %d dofs: pass the model flags the shards were made with",
			ds.Geom.Extents(), ds.D, c.model, c.L, g.Extents(), g.NumDOF())
	}
	return ds, nil
}
