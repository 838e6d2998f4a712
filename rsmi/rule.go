package rsmi

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// Rule is a conditional coarse-graining rule P(h|v): it maps the values v of
// the nv dofs of one block to Outputs() coarse variables h, each taking one
// of the values States(). It is the one notion of a block rule in the
// module: the exact oracle and the estimators score it (Exact.RuleMI),
// training learns one (*Filter), and package rg applies it to whole datasets
// (rg.Coarsen) and iterates it (rg.Flow). Majority rule, decimation, the
// learned filter, its most probable and symmetrized forms, and users' own
// rules are all Rules.
//
// A block is passed as the values of its dofs in a fixed order (for
// hypercubic blocks the order of their offsets from the block origin, x
// fastest, as in Regions.V and rg.Blocking). A joint coarse configuration h
// is indexed by Σ_j idx(h_j)·q^j, where q = len(States()) and idx(x) is the
// position of x in States(); for ±1 variables bit j of the index is set
// where h_j = +1.
//
// Implementations must be safe for concurrent use by several goroutines.
type Rule interface {
	// Outputs returns the number of coarse variables per block (≥ 1).
	Outputs() int
	// States returns the values one coarse variable takes, sorted and
	// distinct ({−1, +1} for Ising-like rules). The caller must not modify
	// the slice.
	States() []int8
	// Check returns an error if the rule cannot act on blocks of nv dofs
	// whose values lie in states (sorted; nil means ±1).
	Check(nv int, states []int8) error
	// Cond writes P(h|v) for every joint coarse configuration h into p,
	// which has length q^Outputs().
	Cond(v []int8, p []float64)
	// Apply draws h from P(h|v) into dst (length Outputs()), drawing any
	// randomness from src. It must not modify v or retain src.
	Apply(dst, v []int8, src rand.Source)
}

// spinStates is the alphabet of Ising spins.
var spinStates = []int8{-1, 1}

// isSpins reports whether states is the ±1 alphabet (nil counts as ±1).
func isSpins(states []int8) bool {
	return states == nil || slices.Equal(states, spinStates)
}

// stateIndex returns the position of x in the sorted alphabet states (nil:
// ±1), or −1.
func stateIndex(states []int8, x int8) int {
	if states == nil {
		states = spinStates
	}
	if i, ok := slices.BinarySearch(states, x); ok {
		return i
	}
	return -1
}

// blockIndex returns the index Σ_i idx(v_i)·q^i of the configuration v of
// values of the alphabet states (nil: ±1), as blocks and joint coarse
// configurations are numbered.
func blockIndex(v, states []int8) int {
	if states == nil {
		states = spinStates
	}
	s, m := 0, 1
	for _, x := range v {
		s += stateIndex(states, x) * m
		m *= len(states)
	}
	return s
}

// checkAlphabet validates a states alphabet: at least two values, sorted
// and distinct.
func checkAlphabet(states []int8) error {
	if states == nil {
		return nil
	}
	if len(states) < 2 {
		return fmt.Errorf("rsmi: states %v: a variable needs at least two values", states)
	}
	for i := 1; i < len(states); i++ {
		if states[i] <= states[i-1] {
			return fmt.Errorf("rsmi: states %v are not sorted and distinct", states)
		}
	}
	return nil
}

// numOutcomes returns q^k for a rule, or an error if it exceeds limit.
func numOutcomes(q, k, limit int) (int, error) {
	n := 1
	for j := 0; j < k; j++ {
		if n > limit/q {
			return 0, fmt.Errorf("rsmi: %d coarse variables of %d values have more than %d joint states", k, q, limit)
		}
		n *= q
	}
	return n, nil
}

// decodeOutcome writes the joint coarse configuration with index s into dst.
func decodeOutcome(dst []int8, s int, states []int8) {
	q := len(states)
	for j := range dst {
		dst[j] = states[s%q]
		s /= q
	}
}

// Majority is majority rule for blocks of ±1 spins: the coarse spin is the
// sign of the block sum, and a tie (a zero sum, possible in blocks of an
// even number of spins) is broken by a fair coin. A random tie-break keeps
// the rule symmetric under the lattice's rotations and the global spin flip;
// a fixed tie-break (e.g. "take the spin at the origin") breaks rotation
// symmetry and generates anisotropic couplings.
type Majority struct{}

// Outputs implements Rule: one coarse spin per block.
func (Majority) Outputs() int { return 1 }

// States implements Rule: ±1.
func (Majority) States() []int8 { return spinStates }

// Check implements Rule: any non-empty block of ±1 spins.
func (Majority) Check(nv int, states []int8) error {
	if nv < 1 {
		return fmt.Errorf("rsmi: majority rule on a block of %d dofs", nv)
	}
	if !isSpins(states) {
		return fmt.Errorf("rsmi: majority rule needs ±1 spins, the block's values are %v (use Plurality for q-state variables)", states)
	}
	return nil
}

// Cond implements Rule.
func (Majority) Cond(v []int8, p []float64) {
	switch s := blockSum(v); {
	case s > 0:
		p[0], p[1] = 0, 1
	case s < 0:
		p[0], p[1] = 1, 0
	default:
		p[0], p[1] = 0.5, 0.5
	}
}

// Apply implements Rule. A tie takes the top bit of one draw from src.
func (Majority) Apply(dst, v []int8, src rand.Source) {
	switch s := blockSum(v); {
	case s > 0:
		dst[0] = 1
	case s < 0:
		dst[0] = -1
	default:
		dst[0] = int8(2*(src.Uint64()>>63)) - 1
	}
}

func blockSum(v []int8) int {
	s := 0
	for _, x := range v {
		s += int(x)
	}
	return s
}

// Decimation keeps one dof of the block, Site (default 0: the block
// origin), and discards the others. Values is the alphabet of the dofs
// (default ±1). In one dimension decimation of the nearest-neighbour Ising
// chain by b = 2 maps K to K' = ½ ln cosh 2K exactly; in two and more
// dimensions it generates long-range couplings and Monte Carlo RG built on
// it converges poorly.
type Decimation struct {
	Site   int
	Values []int8
}

// Outputs implements Rule: one coarse variable per block.
func (Decimation) Outputs() int { return 1 }

// States implements Rule: Values, or ±1.
func (d Decimation) States() []int8 {
	if d.Values == nil {
		return spinStates
	}
	return d.Values
}

// Check implements Rule: Site must lie in the block and the block's values
// must be the rule's.
func (d Decimation) Check(nv int, states []int8) error {
	if d.Site < 0 || d.Site >= nv {
		return fmt.Errorf("rsmi: decimation keeps site %d of a block of %d dofs", d.Site, nv)
	}
	if err := checkAlphabet(d.Values); err != nil {
		return err
	}
	want := d.States()
	if states == nil {
		states = spinStates
	}
	if !slices.Equal(states, want) {
		return fmt.Errorf("rsmi: decimation with values %v on a block with values %v", want, states)
	}
	return nil
}

// Cond implements Rule.
func (d Decimation) Cond(v []int8, p []float64) {
	clear(p)
	p[stateIndex(d.States(), v[d.Site])] = 1
}

// Apply implements Rule.
func (d Decimation) Apply(dst, v []int8, _ rand.Source) { dst[0] = v[d.Site] }

// Outputs implements Rule: the filter's NH hidden units.
func (f *Filter) Outputs() int { return f.NH }

// States implements Rule: ±1.
func (f *Filter) States() []int8 { return spinStates }

// Check implements Rule: the filter must be valid, have NV = nv and see ±1
// spins.
func (f *Filter) Check(nv int, states []int8) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if f.NV != nv {
		return fmt.Errorf("rsmi: filter has NV = %d visible dofs, blocks have %d", f.NV, nv)
	}
	if f.NH > MaxHidden {
		return fmt.Errorf("rsmi: filter has NH = %d hidden units, a rule has at most %d", f.NH, MaxHidden)
	}
	if !isSpins(states) {
		return fmt.Errorf("rsmi: the ±1 filter cannot act on values %v (use a SoftmaxFilter)", states)
	}
	return nil
}

// Cond implements Rule: P_Λ(h|v) for every h.
func (f *Filter) Cond(v []int8, p []float64) {
	var buf [MaxHidden]float64
	up := buf[:f.NH]
	for j := range up {
		up[j] = sigmoid(2 * f.Field(v, j))
	}
	for s := range p {
		q := 1.0
		for j, u := range up {
			if s>>j&1 == 1 {
				q *= u
			} else {
				q *= 1 - u
			}
		}
		p[s] = q
	}
}

// Apply implements Rule: h is drawn from P_Λ(h|v) (Sample).
func (f *Filter) Apply(dst, v []int8, src rand.Source) { f.Sample(v, dst, src) }

// MostProbable returns the rule that takes the most probable coarse
// configuration of r, h* = argmax_h P_r(h|v), and breaks exact ties (equal
// probabilities up to a relative 1e−9) uniformly at random. For a *Filter
// this is h_j = sign(x_j) with a fair coin for every tied unit (Filter's
// MostProbable method and its tie tolerance). A rule that is already a
// MostProbable rule is returned as it is.
func MostProbable(r Rule) Rule {
	if m, ok := r.(*mostProbable); ok {
		return m
	}
	return &mostProbable{r: r}
}

type mostProbable struct{ r Rule }

// Outputs implements Rule (0 for MostProbable(nil), which Check refuses).
func (m *mostProbable) Outputs() int {
	if m.r == nil {
		return 0
	}
	return m.r.Outputs()
}

// States implements Rule (nil for MostProbable(nil)).
func (m *mostProbable) States() []int8 {
	if m.r == nil {
		return nil
	}
	return m.r.States()
}

func (m *mostProbable) Check(nv int, states []int8) error {
	if m.r == nil {
		return errors.New("rsmi: MostProbable of a nil rule")
	}
	return CheckRule(m.r, nv, states)
}

// maxRuleOutcomes bounds q^Outputs for the rules that enumerate joint
// coarse configurations (2^MaxHidden).
const maxRuleOutcomes = 1 << MaxHidden

func (m *mostProbable) Cond(v []int8, p []float64) {
	if f, ok := m.r.(*Filter); ok {
		filterArgmaxCond(f, v, p)
		return
	}
	m.r.Cond(v, p)
	argmaxInPlace(p)
}

func (m *mostProbable) Apply(dst, v []int8, src rand.Source) {
	if f, ok := m.r.(*Filter); ok {
		f.MostProbable(v, dst, src)
		return
	}
	n, _ := numOutcomes(len(m.r.States()), len(dst), maxRuleOutcomes)
	var buf [64]float64
	var p []float64
	if n <= len(buf) {
		p = buf[:n]
	} else {
		p = make([]float64, n)
	}
	m.Cond(v, p)
	decodeOutcome(dst, drawIndex(p, src), m.r.States())
}

// argmaxInPlace replaces p by the uniform distribution over its maximal
// entries (relative tolerance 1e−9).
func argmaxInPlace(p []float64) {
	best := slices.Max(p)
	k := 0
	for _, x := range p {
		if x >= best*(1-1e-9) {
			k++
		}
	}
	for i, x := range p {
		if x >= best*(1-1e-9) {
			p[i] = 1 / float64(k)
		} else {
			p[i] = 0
		}
	}
}

// filterArgmaxCond is the conditional of Filter.MostProbable: a unit whose
// field is zero within the filter's tie tolerance is a fair coin.
func filterArgmaxCond(f *Filter, v []int8, p []float64) {
	var buf [MaxHidden]float64
	up := buf[:f.NH]
	for j := range up {
		x := f.Field(v, j)
		var scale float64
		for _, w := range f.W[j*f.NV : (j+1)*f.NV] {
			scale += math.Abs(w)
		}
		switch {
		case math.Abs(x) <= 1e-9*scale:
			up[j] = 0.5
		case x > 0:
			up[j] = 1
		default:
			up[j] = 0
		}
	}
	for s := range p {
		q := 1.0
		for j, u := range up {
			if s>>j&1 == 1 {
				q *= u
			} else {
				q *= 1 - u
			}
		}
		p[s] = q
	}
}

// drawIndex draws an index from the distribution p with one draw from src
// (none if p puts all its mass on one entry).
func drawIndex(p []float64, src rand.Source) int {
	last := -1
	for i, x := range p {
		if x > 0 {
			if last >= 0 {
				last = -2
				break
			}
			last = i
		}
	}
	if last >= 0 {
		return last
	}
	u := float64(src.Uint64()>>11) * 0x1p-53
	var c float64
	for i, x := range p {
		c += x
		if u < c {
			return i
		}
	}
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] > 0 {
			return i
		}
	}
	return 0
}

// Symmetrize returns the group average of r over the permutations perms of
// the block's dofs (typically lattice.BlockSymmetries: the rotations and
// reflections of the block),
//
//	P_sym(h|v) = (1/|G|) Σ_{g∈G} P_r(h | v∘g),   (v∘g)_{g[i]} = v_i,
//
// which is invariant under the group, P_sym(h|v∘g') = P_sym(h|v), even when
// r is not. Apply draws g uniformly (one draw from src) and applies r to
// v∘g. Every permutation must have the same length nv ≥ 1, the block size
// the rule then accepts.
//
// This matters for sharp learned filters. Unconstrained RSMI training drives
// ‖λ‖ up, and the most probable h = sign(Σ λ_i v_i) of a 2×2 filter with
// nearly equal weights is majority rule whose ties are broken by the small
// differences between the weights: a fixed tie-break that prefers some
// spins of the block, breaks the rotation symmetry and generates anisotropic
// couplings (K_x ≠ K_y, …) outside the span of the symmetric operators of
// package lattice. Averaging over the point group restores the symmetry.
// For a 2×2 block the average of any sharp filter without bias whose
// untied decisions are the majority's is exactly majority rule with a fair
// coin on ties: every tied 2×2 state is the image of its own spin flip under
// a rotation or reflection, so the invariant P_sym(+1|v) equals
// P_sym(+1|−v) = 1 − P_sym(+1|v) = 1/2. For larger blocks, or filters that
// are not majority-like, it is a genuinely different rule.
func Symmetrize(r Rule, perms [][]int) (Rule, error) {
	if r == nil {
		return nil, errors.New("rsmi: Symmetrize of a nil rule")
	}
	if len(perms) == 0 {
		return nil, errors.New("rsmi: Symmetrize needs at least one permutation")
	}
	nv := len(perms[0])
	if nv < 1 {
		return nil, errors.New("rsmi: Symmetrize: empty permutation")
	}
	s := &symmetrized{r: r, perms: make([][]int, len(perms))}
	for k, g := range perms {
		if err := checkPermutation(g, nv); err != nil {
			return nil, fmt.Errorf("rsmi: Symmetrize: element %d: %w", k, err)
		}
		s.perms[k] = slices.Clone(g)
	}
	return s, nil
}

type symmetrized struct {
	r     Rule
	perms [][]int
}

func (s *symmetrized) Outputs() int   { return s.r.Outputs() }
func (s *symmetrized) States() []int8 { return s.r.States() }
func (s *symmetrized) Check(nv int, states []int8) error {
	if nv != len(s.perms[0]) {
		return fmt.Errorf("rsmi: symmetrized rule acts on blocks of %d dofs, not %d", len(s.perms[0]), nv)
	}
	return CheckRule(s.r, nv, states)
}

// permute writes v∘g into w: w[g[i]] = v[i].
func permute(w, v []int8, g []int) {
	for i, gi := range g {
		w[gi] = v[i]
	}
}

func (s *symmetrized) Cond(v []int8, p []float64) {
	w := make([]int8, len(v))
	tmp := make([]float64, len(p))
	clear(p)
	for _, g := range s.perms {
		permute(w, v, g)
		s.r.Cond(w, tmp)
		for i, x := range tmp {
			p[i] += x
		}
	}
	for i := range p {
		p[i] /= float64(len(s.perms))
	}
}

func (s *symmetrized) Apply(dst, v []int8, src rand.Source) {
	k, _ := bits.Mul64(src.Uint64(), uint64(len(s.perms)))
	var buf [64]int8
	var w []int8
	if len(v) <= len(buf) {
		w = buf[:len(v)]
	} else {
		w = make([]int8, len(v))
	}
	permute(w, v, s.perms[k])
	s.r.Apply(dst, w, src)
}

// MaxTabulatedStates bounds the number of block states q^nv that
// TabulateRule enumerates.
const MaxTabulatedStates = 1 << 16

// RuleTable is a Rule tabulated over all q^nv states of a block: its Apply
// looks the block's state up and makes at most one draw from the source
// (none where the rule is deterministic), whatever the rule it was built
// from. Package rg and exponent use it as the fast path for small blocks
// (2×2 and 2×2×2 Ising blocks, 2×2 Potts blocks). A RuleTable has the
// distribution of its rule exactly, but not its stream of random numbers.
type RuleTable struct {
	rule        Rule
	nv, q       int
	states      []int8
	index       [256]int16 // value+128 → index in states, −1 if absent
	outs        []int8     // coarse alphabet
	k           int        // outputs
	det         []int32    // outcome of a deterministic state, −1 otherwise
	start       []int32    // rows of cumulative thresholds for the others
	outcome     []int32
	thr         []uint64
	probability []float64 // q^nv × outcomes, the table itself
	nout        int
}

// CheckRule returns an error naming the fault if r cannot act on blocks of
// nv dofs with values states (sorted and distinct; nil means ±1): r is nil,
// its Outputs() is below 1, its States() are not two or more sorted
// distinct values, it has more than 2^MaxHidden joint coarse
// configurations, or r.Check rejects the blocks. Code that applies users'
// rules calls it first, so that a malformed rule is an error, never a panic.
func CheckRule(r Rule, nv int, states []int8) error {
	if r == nil {
		return errors.New("rsmi: CheckRule of a nil rule")
	}
	if err := checkAlphabet(states); err != nil {
		return err
	}
	k, outs := r.Outputs(), r.States()
	if k < 1 {
		return fmt.Errorf("rsmi: rule %T has %d outputs per block, want ≥ 1", r, k)
	}
	if outs == nil {
		return fmt.Errorf("rsmi: rule %T lists no coarse values (States() is nil)", r)
	}
	if err := checkAlphabet(outs); err != nil {
		return fmt.Errorf("rsmi: coarse values of rule %T: %w", r, err)
	}
	if _, err := numOutcomes(len(outs), k, maxRuleOutcomes); err != nil {
		return err
	}
	return r.Check(nv, states)
}

// TabulateRule tabulates r on blocks of nv dofs with values states (sorted;
// nil means ±1). It returns an error if r rejects such blocks, if q^nv
// exceeds MaxTabulatedStates, or if some P(h|v) is negative, not finite or
// does not sum to 1 within 1e−9.
func TabulateRule(r Rule, nv int, states []int8) (*RuleTable, error) {
	if r == nil {
		return nil, errors.New("rsmi: TabulateRule of a nil rule")
	}
	if err := CheckRule(r, nv, states); err != nil {
		return nil, err
	}
	if states == nil {
		states = spinStates
	}
	q := len(states)
	ns, err := numOutcomes(q, nv, MaxTabulatedStates)
	if err != nil {
		return nil, fmt.Errorf("rsmi: cannot tabulate a rule on blocks of %d dofs with %d values: more than %d block states", nv, q, MaxTabulatedStates)
	}
	outs := r.States()
	nout, err := numOutcomes(len(outs), r.Outputs(), maxRuleOutcomes)
	if err != nil {
		return nil, err
	}
	if ns > MaxTableEntries/nout { // the probabilities and the sampling data of up to ns·nout outcomes
		return nil, fmt.Errorf("rsmi: tabulating %T: %d block states × %d coarse outcomes exceed the table limit of %d entries (MaxTableEntries)", r, ns, nout, MaxTableEntries)
	}
	t := &RuleTable{rule: r, nv: nv, q: q, states: slices.Clone(states), outs: slices.Clone(outs), k: r.Outputs(),
		det: make([]int32, ns), start: make([]int32, ns+1), probability: make([]float64, ns*nout), nout: nout}
	for i := range t.index {
		t.index[i] = -1
	}
	for i, x := range t.states {
		t.index[int(x)+128] = int16(i)
	}
	v := make([]int8, nv)
	for s := 0; s < ns; s++ {
		decodeOutcome(v, s, t.states)
		row := t.probability[s*nout : (s+1)*nout]
		r.Cond(v, row)
		if err := t.addRow(s, row); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// addRow validates P(h|v) of block state s and stores its sampling data.
func (t *RuleTable) addRow(s int, row []float64) error {
	sum, err := checkCond(row, s)
	if err != nil {
		return err
	}
	nz, last := 0, 0
	for h, p := range row {
		if p > 0 {
			nz, last = nz+1, h
		}
	}
	t.det[s] = -1
	if nz == 1 {
		t.det[s] = int32(last)
	} else {
		var c float64
		for h, p := range row {
			if p > 0 {
				c += p / sum
				th := uint64(math.MaxUint64)
				if c < 1 {
					th = uint64(c * 0x1p64)
				}
				t.outcome = append(t.outcome, int32(h))
				t.thr = append(t.thr, th)
			}
		}
	}
	t.start[s+1] = int32(len(t.thr))
	return nil
}

// checkCond checks a rule's P(h|v) for block state s: finite, non-negative
// and summing to 1 within 1e−9. It returns the sum.
func checkCond(row []float64, s int) (float64, error) {
	var sum float64
	for h, p := range row {
		if !(p >= 0) || math.IsInf(p, 0) {
			return 0, fmt.Errorf("rsmi: rule gives P(h|v) = %v for block state %d, coarse state %d", p, s, h)
		}
		sum += p
	}
	if math.Abs(sum-1) > 1e-9 {
		return 0, fmt.Errorf("rsmi: rule's P(h|v) sums to %v for block state %d", sum, s)
	}
	return sum, nil
}

// Outputs implements Rule.
func (t *RuleTable) Outputs() int { return t.k }

// States implements Rule.
func (t *RuleTable) States() []int8 { return t.outs }

// Check implements Rule: the block size and values it was tabulated for.
func (t *RuleTable) Check(nv int, states []int8) error {
	if states == nil {
		states = spinStates
	}
	if nv != t.nv || !slices.Equal(states, t.states) {
		return fmt.Errorf("rsmi: rule tabulated for blocks of %d dofs with values %v, not %d dofs with values %v", t.nv, t.states, nv, states)
	}
	return nil
}

// Rule returns the rule that was tabulated.
func (t *RuleTable) Rule() Rule { return t.rule }

// Index returns the block state index Σ_i idx(v_i)·q^i of v. It panics if a
// value is not in the table's alphabet.
func (t *RuleTable) Index(v []int8) int {
	s, m := 0, 1
	for _, x := range v {
		i := t.index[int(x)+128]
		if i < 0 {
			panic(fmt.Sprintf("rsmi: value %d is not in the rule table's alphabet %v", x, t.states))
		}
		s += int(i) * m
		m *= t.q
	}
	return s
}

// Cond implements Rule.
func (t *RuleTable) Cond(v []int8, p []float64) {
	s := t.Index(v)
	copy(p, t.probability[s*t.nout:(s+1)*t.nout])
}

// Apply implements Rule.
func (t *RuleTable) Apply(dst, v []int8, src rand.Source) { t.ApplyState(dst, t.Index(v), src) }

// ApplyState draws the coarse variables of block state s into dst: no draw
// if the state's outcome is certain, otherwise one draw from src compared
// with cumulative 64-bit thresholds (for a fair coin between h = −1 and +1
// this is the draw's top bit, as in Majority).
func (t *RuleTable) ApplyState(dst []int8, s int, src rand.Source) {
	h := int(t.det[s])
	if h < 0 {
		u := src.Uint64()
		lo, hi := t.start[s], t.start[s+1]
		h = int(t.outcome[hi-1])
		for k := lo; k < hi; k++ {
			if u < t.thr[k] {
				h = int(t.outcome[k])
				break
			}
		}
	}
	if t.k == 1 {
		dst[0] = t.outs[h]
		return
	}
	decodeOutcome(dst, h, t.outs)
}
