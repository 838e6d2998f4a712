//go:build amd64 && !purego

package sample

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestVectorKernels checks that the AVX-512 kernels give the same bytes as
// the portable ones, for Multispin and MSC in 2D and 3D, with rows of 8 to
// 128 words and with a remainder left to the portable kernel.
func TestVectorKernels(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512 on this machine: the portable kernels run")
	}
	defer func(v bool) { useAVX512 = v }(useAVX512)
	cases := []struct {
		ext []int
		T   float64
	}{
		{[]int{16, 16}, 2.0}, {[]int{24, 8}, isingTc2D}, {[]int{64, 64}, isingTc2D}, {[]int{36, 4}, 3.5},
		{[]int{16, 4, 4}, 4.5}, {[]int{20, 6, 4}, 3.0}, {[]int{256, 256}, 1.5}, {[]int{512, 256}, isingTc2D},
		{[]int{32, 32, 32}, 4.5}, {[]int{16, 16, 16}, 6},
	}
	for k, c := range cases {
		m := isingModel(t, 1, c.ext...)
		run := func(vector bool, msc bool) []int8 {
			useAVX512 = vector
			var s Sampler
			var err error
			if msc {
				s, err = NewMSC(m, c.T, rand.NewPCG(uint64(k), 1))
			} else {
				s, err = NewMultispin(m, c.T, rand.NewPCG(uint64(k), 1))
			}
			if err != nil {
				t.Fatal(err)
			}
			var out []int8
			for range 30 {
				s.Step()
			}
			out = append(out, s.Config()...)
			if ms, ok := s.(*Multispin); ok {
				for r := range MultispinReplicas {
					out = append(out, ms.Replica(r, nil)...)
				}
			}
			return out
		}
		for _, msc := range []bool{false, true} {
			if !slices.Equal(run(true, msc), run(false, msc)) {
				t.Errorf("%s %v: AVX-512 and portable kernels differ", map[bool]string{false: "Multispin", true: "MSC"}[msc], c.ext)
			}
		}
	}
	_ = fmt.Sprint
}
