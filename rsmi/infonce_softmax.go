package rsmi

import "math"

// InfoNCE's Gumbel-softmax path for a SoftmaxFilter (see InfoNCE).

// blockIndex returns the position of the visible value s in the data's
// alphabet.
func (n *InfoNCE) blockIndex(s int8) int32 {
	if n.states == nil {
		return int32(s+1) / 2
	}
	return int32(n.index[uint8(s)])
}

// softmaxHidden computes the softmax filter's relaxed (tau > 0) or hard
// one-hot hidden units of the batch into h (K × NH·QH), keeping the
// logits in n.x and the blocks' state indices in n.vi.
func (n *InfoNCE) softmaxHidden(f *SoftmaxFilter, tau float64, h []float64) {
	nv, hin := n.nv, n.nh
	vs, hs := f.alphabets()
	qv, qh := len(vs), len(hs)
	for b, p := range n.idx {
		for i, s := range n.v[int(p)*nv : (int(p)+1)*nv] {
			n.vi[b*nv+i] = n.blockIndex(s)
		}
	}
	for b := range n.idx {
		vi := n.vi[b*nv : (b+1)*nv]
		for k := 0; k < hin; k++ { // k = j·QH + a
			x := 0.0
			if f.Bias != nil {
				x = f.Bias[k]
			}
			w := f.W[k*nv*qv : (k+1)*nv*qv]
			for i, c := range vi {
				x += w[i*qv+int(c)]
			}
			n.x[b*hin+k] = x
		}
		for j := 0; j < f.NH; j++ {
			lo := b*hin + j*qh
			y := h[lo : lo+qh]
			for a := range y {
				u := n.unif[lo+a]
				y[a] = n.x[lo+a] - math.Log(-math.Log(u))
			}
			if tau > 0 {
				for a := range y {
					y[a] /= tau
				}
				softmaxInPlace(y)
				continue
			}
			best := 0
			for a, z := range y {
				if z > y[best] {
					best = a
				}
			}
			clear(y)
			y[best] = 1
		}
	}
}

// softmaxBackward writes the softmax filter's gradient from dh, the
// gradient with respect to the relaxed one-hot units y:
// ∂L/∂x_{j,a} = y_a (dh_a − Σ_c y_c dh_c)/τ, and x_{j,a} depends on
// λ_{j,a,i,v_i} and b_{j,a} with coefficient 1.
func (n *InfoNCE) softmaxBackward(f *SoftmaxFilter, dh, h []float64, tau float64, fgrad []float64) {
	nv, hin := n.nv, n.nh
	vs, hs := f.alphabets()
	qv, qh := len(vs), len(hs)
	clear(fgrad)
	for b := range n.idx {
		vi := n.vi[b*nv : (b+1)*nv]
		for j := 0; j < f.NH; j++ {
			lo := b*hin + j*qh
			y, g := h[lo:lo+qh], dh[lo:lo+qh]
			var m float64
			for a := range y {
				m += y[a] * g[a]
			}
			for a := range y {
				k := j*qh + a
				dz := y[a] * (g[a] - m) / tau
				w := fgrad[k*nv*qv : (k+1)*nv*qv]
				for i, c := range vi {
					w[i*qv+int(c)] += dz
				}
				if f.Bias != nil {
					fgrad[len(f.W)+k] += dz
				}
			}
		}
	}
}
