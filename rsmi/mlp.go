package rsmi

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/floats"

	"github.com/rsmi-go/rsmi/internal/size"
)

// nceMLP is a fully connected network evaluated on batches (one sample per
// row, row-major): ReLU on every hidden layer, a linear output layer. Its
// weights and biases are views into one parameter vector and its gradients
// views into one gradient vector, so that a single Adam state covers several
// networks. Forward and backward passes allocate nothing.
type nceMLP struct {
	sizes  []int       // in, hidden…, out
	w, b   [][]float64 // layer l: sizes[l]×sizes[l+1] weights (row-major), sizes[l+1] biases
	gw, gb [][]float64 // gradients, same layout
	act    [][]float64 // act[l]: batch×sizes[l]; act[0] is the input
	dact   [][]float64 // ∂/∂act[l]
	batch  int
}

// nceMLPParams returns the number of parameters of a network with the given
// layer sizes.
func nceMLPParams(sizes []int) int {
	n := 0
	for l := 0; l+1 < len(sizes); l++ {
		n += sizes[l]*sizes[l+1] + sizes[l+1]
	}
	return n
}

// nceMLPSize returns the number of float64 a network with the given layer
// sizes costs on batches of the given size: its parameters, their
// gradients and Adam moments, and the activations and their gradients. It
// returns an error if the count overflows.
func nceMLPSize(sizes []int, batch int) (int, error) {
	total := 0
	for l, in := range sizes {
		act, err := size.Mul(2, batch, in)
		if err != nil {
			return 0, err
		}
		if total, err = size.Add(total, act); err != nil {
			return 0, err
		}
		if l+1 == len(sizes) {
			break
		}
		w, err := size.Mul(in, sizes[l+1])
		if err == nil {
			w, err = size.Add(w, sizes[l+1])
		}
		if err == nil {
			w, err = size.Mul(4, w)
		}
		if err == nil {
			total, err = size.Add(total, w)
		}
		if err != nil {
			return 0, err
		}
	}
	return total, nil
}

// newNCEMLP lays out a network on params and grads (each of length
// nceMLPParams(sizes)) for batches of the given size.
func newNCEMLP(sizes []int, params, grads []float64, batch int) *nceMLP {
	m := &nceMLP{sizes: append([]int(nil), sizes...), batch: batch}
	off := 0
	for l := 0; l+1 < len(sizes); l++ {
		nw := sizes[l] * sizes[l+1]
		m.w = append(m.w, params[off:off+nw])
		m.gw = append(m.gw, grads[off:off+nw])
		off += nw
		m.b = append(m.b, params[off:off+sizes[l+1]])
		m.gb = append(m.gb, grads[off:off+sizes[l+1]])
		off += sizes[l+1]
	}
	for _, s := range sizes {
		m.act = append(m.act, make([]float64, batch*s))
		m.dact = append(m.dact, make([]float64, batch*s))
	}
	return m
}

// init draws the weights from Glorot's uniform distribution
// U(−√(6/(in+out)), √(6/(in+out))) and zeroes the biases.
func (m *nceMLP) init(rng *rand.Rand) {
	for l := range m.w {
		a := math.Sqrt(6 / float64(m.sizes[l]+m.sizes[l+1]))
		for i := range m.w[l] {
			m.w[l][i] = a * (2*rng.Float64() - 1)
		}
		for i := range m.b[l] {
			m.b[l][i] = 0
		}
	}
}

// forward computes the output (batch×out, aliasing internal storage) from
// the input in act[0].
func (m *nceMLP) forward() []float64 {
	last := len(m.w) - 1
	for l := range m.w {
		in, out := m.sizes[l], m.sizes[l+1]
		a, z := m.act[l], m.act[l+1]
		for r := 0; r < m.batch; r++ {
			copy(z[r*out:(r+1)*out], m.b[l])
		}
		nceGemm(blas.NoTrans, blas.NoTrans, m.batch, out, in, 1, a, in, m.w[l], out, 1, z, out)
		if l < last {
			for i, x := range z {
				if x < 0 {
					z[i] = 0
				}
			}
		}
	}
	return m.act[len(m.act)-1]
}

// backward accumulates the parameter gradients of Σ dout·output into gw and
// gb (the caller zeroes them) after a forward pass, and returns the gradient
// with respect to the input if wantInput (nil otherwise).
func (m *nceMLP) backward(dout []float64, wantInput bool) []float64 {
	last := len(m.w) - 1
	copy(m.dact[last+1], dout)
	for l := last; l >= 0; l-- {
		in, out := m.sizes[l], m.sizes[l+1]
		dz := m.dact[l+1]
		if l < last {
			for i, x := range m.act[l+1] {
				if x <= 0 {
					dz[i] = 0
				}
			}
		}
		nceGemm(blas.Trans, blas.NoTrans, in, out, m.batch, 1, m.act[l], in, dz, out, 1, m.gw[l], out)
		gb := m.gb[l]
		for r := 0; r < m.batch; r++ {
			for k, x := range dz[r*out : (r+1)*out] {
				gb[k] += x
			}
		}
		if l > 0 || wantInput {
			nceGemm(blas.NoTrans, blas.Trans, m.batch, in, out, 1, dz, out, m.w[l], out, 0, m.dact[l], in)
		}
	}
	if wantInput {
		return m.dact[0]
	}
	return nil
}

// nceGemm computes C = α op(A) op(B) + β C for row-major slices (β ∈ {0, 1}
// or any scale), serially on the calling goroutine with gonum's vector
// kernels: gonum's Dgemm splits large products over goroutines and
// allocates for it, which the training step avoids. op(A) is m×k, op(B)
// k×n; Trans·Trans is not needed and panics.
func nceGemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 1:
		case 0:
			for j := range row {
				row[j] = 0
			}
		default:
			floats.Scale(beta, row)
		}
	}
	switch {
	case tA == blas.NoTrans && tB == blas.NoTrans:
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for l, x := range a[i*lda : i*lda+k] {
				if x != 0 {
					floats.AddScaled(row, alpha*x, b[l*ldb:l*ldb+n])
				}
			}
		}
	case tA == blas.NoTrans && tB == blas.Trans:
		for i := 0; i < m; i++ {
			ar := a[i*lda : i*lda+k]
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] += alpha * floats.Dot(ar, b[j*ldb:j*ldb+k])
			}
		}
	case tA == blas.Trans && tB == blas.NoTrans:
		for l := 0; l < k; l++ {
			ar := a[l*lda : l*lda+m]
			br := b[l*ldb : l*ldb+n]
			for i, x := range ar {
				if x != 0 {
					floats.AddScaled(c[i*ldc:i*ldc+n], alpha*x, br)
				}
			}
		}
	default:
		panic("rsmi: nceGemm does not support Trans·Trans")
	}
}
