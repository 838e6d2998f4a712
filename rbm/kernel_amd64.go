//go:build amd64 && !purego

package rbm

// useAVX2 selects the assembly kernels of kernel_amd64.s: the CPU has AVX2
// and FMA and the operating system saves the YMM registers.
var useAVX2 = hasAVX2FMA()

// cpuid executes CPUID with the given EAX and ECX.
func cpuid(eax, ecx uint32) (a, b, c, d uint32)

// xgetbv0 returns the low word of extended control register 0.
func xgetbv0() uint32

func hasAVX2FMA() bool {
	max, _, _, _ := cpuid(0, 0)
	if max < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c1&fma == 0 || c1&osxsave == 0 || c1&avx == 0 {
		return false
	}
	if xgetbv0()&6 != 6 { // XMM and YMM state enabled
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<5) != 0 // AVX2
}

// mm4AVX2 sets C[r][j] = Σ_{p<k} A[r][p]·B[p][j] for the 4 rows r and the
// n columns j (k ≥ 1, n ≥ 1), strides in elements; mask selects the lanes
// of the last, partial vector of columns (laneMask(n)).
//
//go:noescape
func mm4AVX2(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k, n int, mask *int32)

// dot34AVX2 sets D[i][j] = Σ_{s<k} A[i][s]·B[j][s] for i < 3, j < 4 (k ≥ 1),
// in eight lanes; mask is laneMask(k).
//
//go:noescape
func dot34AVX2(a *float32, lda int, b *float32, ldb int, d *float32, ldd int, k int, mask *int32)

// mm1AVX2 is mm4AVX2 for one row: C[j] = Σ_{p<k} A[p]·B[p][j].
//
//go:noescape
func mm1AVX2(a *float32, b *float32, ldb int, c *float32, k, n int, mask *int32)

// dot11AVX2 returns Σ_{s<k} A[s]·B[s] summed in eight lanes as dot34AVX2
// does (k ≥ 1); mask is laneMask(k).
//
//go:noescape
func dot11AVX2(a, b *float32, k int, mask *int32) float32

// sigRowAVX2 is the vector form of sigRowGo; mask is laneMask(n).
//
//go:noescape
func sigRowAVX2(x *float32, n int, p *sigParams, u, dst *float32, mode int, mask *int32) float32
