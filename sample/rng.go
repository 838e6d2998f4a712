package sample

// Every sampler draws its random numbers from internal/xrand's xoshiro256**
// generator, seeded at construction from four draws of the caller's
// rand.Source (xrand.New); the source is not used afterwards.

// b2u returns 1 for true and 0 for false (compiled to SETcc, no branch).
func b2u(b bool) uint {
	var u uint
	if b {
		u = 1
	}
	return u
}
