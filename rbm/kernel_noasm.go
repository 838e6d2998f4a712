//go:build !amd64 || purego

package rbm

// useAVX2 is false: the portable kernels of kernel.go do all the work.
var useAVX2 = false

func mm4AVX2(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k, n int, mask *int32) {
	panic("rbm: no assembly kernels in this build")
}

func dot34AVX2(a *float32, lda int, b *float32, ldb int, d *float32, ldd int, k int, mask *int32) {
	panic("rbm: no assembly kernels in this build")
}

func mm1AVX2(a *float32, b *float32, ldb int, c *float32, k, n int, mask *int32) {
	panic("rbm: no assembly kernels in this build")
}

func dot11AVX2(a, b *float32, k int, mask *int32) float32 {
	panic("rbm: no assembly kernels in this build")
}

func sigRowAVX2(x *float32, n int, p *sigParams, u, dst *float32, mode int, mask *int32) float32 {
	panic("rbm: no assembly kernels in this build")
}
