package lattice

// Model is a classical Hamiltonian over discrete local variables: the plug-in
// point for users' own models (Blume–Capel, Potts, ANNNI, …). The generic
// samplers in package sample need nothing more than this interface.
//
// Energies are in the units of the temperature: a configuration x has
// Boltzmann weight exp(−Energy(x)/T). Configurations are flat []int8 of length
// Geometry().NumDOF(), indexed like the geometry's dofs.
type Model interface {
	// Geometry returns where the degrees of freedom sit.
	Geometry() *Geometry
	// States returns the allowed values of one degree of freedom (for Ising spins {−1, +1}).
	States() []int8
	// Energy returns the energy of configuration x (+Inf for a forbidden one).
	Energy(x []int8) float64
	// DeltaE returns Energy(x') − Energy(x), where x' is x with dof i set to v.
	// It must not modify x.
	DeltaE(x []int8, i int, v int8) float64
}

// Ranged is implemented by models whose interactions have a finite range: no
// term couples two dofs whose periodic distance along any axis (in Geometry
// coordinates) exceeds Range. Exact mutual-information oracles use it to check
// that an environment shell screens a block from the rest of the system.
type Ranged interface {
	Range() int
}
