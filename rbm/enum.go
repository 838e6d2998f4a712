package rbm

import (
	"math"
	"runtime"
	"sync"
)

// Exact partition functions by enumeration of one layer, shared by the
// binary and the categorical RBM.
//
// The enumerated layer S has m units of qs states each; unit k in state a
// adds bias[k·qs+a] to the exponent and rows[k·qs+a] to the activations of
// the other layer O, which are summed out analytically:
//
//	log Z = log Σ_s exp(Σ_k bias[k·qs+s_k] + Σ_o L(act_o(s))),
//	act(s) = base + Σ_k rows[k·qs+s_k],
//
// where the O units hold w activations each and L is the log of their sum
// of Boltzmann factors (sumKind). The states are visited in reflected
// qs-ary Gray-code order, in which consecutive states differ in one unit
// by one step, so that each costs one row update; the high units are
// fixed per chunk and the chunks are spread over GOMAXPROCS goroutines and
// merged in order, so the result does not depend on their number.

// sumKind says how the activations of one unit of the summed-out layer
// combine into log Σ exp.
type sumKind int

const (
	sumSoftplus sumKind = iota // one activation a, states {0,1}: log(1+e^a)
	sumCosh                    // one activation a, states ±1: log(e^a+e^{−a})
	sumSoftmax                 // w activations a_b, one per state: log Σ_b e^{a_b}
)

type enumSpec struct {
	qs, m int
	rows  [][]float64 // m·qs rows of len(base)
	bias  []float64   // m·qs
	base  []float64   // the other layer's biases: act = base + Σ_k rows[k·qs+s_k]
	kind  sumKind
	w     int // activations per O unit (1, or q for sumSoftmax)
}

// logSum returns L of one O unit with activations a (len w).
func (k sumKind) logSum(a []float64) float64 {
	switch k {
	case sumSoftplus:
		return softplus(a[0])
	case sumCosh:
		x := math.Abs(a[0])
		return x + math.Log1p(math.Exp(-2*x))
	}
	mx := a[0]
	for _, x := range a[1:] {
		mx = max(mx, x)
	}
	s := 0.0
	for _, x := range a {
		s += math.Exp(x - mx)
	}
	return mx + math.Log(s)
}

// chunkDigits is the number of low units enumerated within one chunk.
func (e *enumSpec) chunkDigits() int {
	low, n := 0, 1
	for low < e.m && n*e.qs <= 1<<14 {
		low++
		n *= e.qs
	}
	return low
}

// logZ enumerates all qs^m states.
func (e *enumSpec) logZ() float64 {
	low := e.chunkDigits()
	nChunks := 1
	for range e.m - low {
		nChunks *= e.qs
	}
	// spread[o] bounds how far activation o moves while the low units change
	spread := make([]float64, len(e.base))
	for k := range low {
		for o := range spread {
			d := 0.0
			for a := 1; a < e.qs; a++ {
				d = max(d, math.Abs(e.rows[k*e.qs+a][o]-e.rows[k*e.qs][o]))
			}
			spread[o] += d
		}
	}
	parts := make([]lse, nChunks)
	workers := min(runtime.GOMAXPROCS(0), nChunks)
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := e.newGray(low)
			for {
				mu.Lock()
				c := next
				next++
				mu.Unlock()
				if c >= nChunks {
					return
				}
				parts[c] = g.chunk(c, spread)
			}
		}()
	}
	wg.Wait()
	var tot lse
	for _, p := range parts {
		tot.merge(p)
	}
	return tot.value()
}

// gray is one goroutine's state for enumerating chunks.
type gray struct {
	e           *enumSpec
	low         int
	s, cnt, dir []int
	act, ex, ey []float64
	up, down    [][]float64 // [k·qs+a]: factors e^{Δrows} of the moves a→a+1 and a→a−1 of low unit k
	lnw         float64
}

func (e *enumSpec) newGray(low int) *gray {
	na := len(e.base)
	g := &gray{e: e, low: low, s: make([]int, e.m), cnt: make([]int, low+1), dir: make([]int, low),
		act: make([]float64, na), ex: make([]float64, na), ey: make([]float64, na)}
	g.up = make([][]float64, low*e.qs)
	g.down = make([][]float64, low*e.qs)
	for k := range low {
		for a := range e.qs - 1 {
			u := make([]float64, na)
			d := make([]float64, na)
			for o := range na {
				x := e.rows[k*e.qs+a+1][o] - e.rows[k*e.qs+a][o]
				u[o], d[o] = math.Exp(x), math.Exp(-x)
			}
			g.up[k*e.qs+a], g.down[k*e.qs+a+1] = u, d
		}
	}
	g.lnw = math.Log(float64(e.w))
	return g
}

// fastBound is the largest |activation| for which chunks multiply
// Boltzmann factors instead of summing their logarithms.
const fastBound = 40

// chunk returns the log-sum-exp over the states of chunk c: high units
// from the digits of c, low units in Gray-code order from all-zero.
func (g *gray) chunk(c int, spread []float64) lse {
	e := g.e
	copy(g.act, e.base)
	e0 := 0.0
	for k := range e.m {
		g.s[k] = 0
		if k >= g.low {
			g.s[k] = c % e.qs
			c /= e.qs
		}
		e0 += e.bias[k*e.qs+g.s[k]]
		for o, x := range e.rows[k*e.qs+g.s[k]] {
			g.act[o] += x
		}
	}
	clear(g.cnt)
	for k := range g.dir {
		g.dir[k] = 1
	}
	for o, a := range g.act {
		if math.Abs(a)+spread[o] > fastBound {
			return g.slow(e0)
		}
	}
	return g.fast(e0)
}

// advance moves to the next state of the Gray code and returns the unit k
// that changed, its old and new states; k = −1 after the last state.
func (g *gray) advance() (k, from, to int) {
	qs := g.e.qs
	if g.low == 0 {
		return -1, 0, 0
	}
	k = 0
	for g.cnt[k]++; g.cnt[k] == qs; g.cnt[k]++ {
		g.cnt[k] = 0
		if k++; k == g.low {
			return -1, 0, 0
		}
	}
	from = g.s[k]
	to = from + g.dir[k]
	g.s[k] = to
	if to == 0 || to == qs-1 {
		g.dir[k] = -g.dir[k]
	}
	return k, from, to
}

// slow sums the logarithms state by state (any activations).
func (g *gray) slow(e0 float64) lse {
	e := g.e
	var acc lse
	for {
		x := e0
		for o := 0; o < len(g.act); o += e.w {
			x += e.kind.logSum(g.act[o : o+e.w])
		}
		acc.add(x)
		k, from, to := g.advance()
		if k < 0 {
			return acc
		}
		e0 += e.bias[k*e.qs+to] - e.bias[k*e.qs+from]
		rt, rf := e.rows[k*e.qs+to], e.rows[k*e.qs+from]
		for o := range g.act {
			g.act[o] += rt[o] - rf[o]
		}
	}
}

// fast multiplies the Boltzmann factors e^{±act}, updated by one factor
// per state, and takes one logarithm per group of units (|act| ≤
// fastBound throughout, so no group overflows or underflows).
func (g *gray) fast(e0 float64) lse {
	e := g.e
	for o, a := range g.act {
		g.ex[o] = math.Exp(a)
		g.ey[o] = math.Exp(-a)
	}
	group := int(700 / (fastBound + 1 + g.lnw))
	var acc lse
	for {
		acc.add(e0 + g.logProd(group))
		k, from, to := g.advance()
		if k < 0 {
			return acc
		}
		e0 += e.bias[k*e.qs+to] - e.bias[k*e.qs+from]
		fx, fy := g.up[k*e.qs+from], g.down[k*e.qs+to]
		if to < from {
			fx, fy = g.down[k*e.qs+from], g.up[k*e.qs+to]
		}
		fx = fx[:len(g.ex)]
		for o := range g.ex {
			g.ex[o] *= fx[o]
		}
		if e.kind == sumCosh {
			fy = fy[:len(g.ey)]
			for o := range g.ey {
				g.ey[o] *= fy[o]
			}
		}
	}
}

// logProd returns Σ_o L(act_o) from the factors e^{act}.
func (g *gray) logProd(group int) float64 {
	l, p, n := 0.0, 1.0, 0
	switch g.e.kind {
	case sumSoftplus:
		for _, x := range g.ex {
			p *= 1 + x
			if n++; n == group {
				l += math.Log(p)
				p, n = 1, 0
			}
		}
	case sumCosh:
		for o, x := range g.ex {
			p *= x + g.ey[o]
			if n++; n == group {
				l += math.Log(p)
				p, n = 1, 0
			}
		}
	default:
		w := g.e.w
		for o := 0; o < len(g.ex); o += w {
			s := 0.0
			for _, x := range g.ex[o : o+w] {
				s += x
			}
			p *= s
			if n++; n == group {
				l += math.Log(p)
				p, n = 1, 0
			}
		}
	}
	return l + math.Log(p)
}
