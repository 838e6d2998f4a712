package sample

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/rsmi-go/rsmi/internal/size"
)

// Sharded sampling. A long sampling job can be split into shards — separate
// processes, one per shard index k = 0, 1, …, run by any batch scheduler in
// any order or in parallel — each collecting its own Dataset with
//
//	Collect(ctx, newChain, plan, ShardSource(seed, k))
//
// and saving it (SaveDataset). Merge then concatenates the shards in shard
// order: the same seed and shard count give the same merged bytes however
// the shards were scheduled.

// MaxShards is the number of shard indices ShardSource accepts.
const MaxShards = 1 << 24

// maxShardDraws is the number of values one shard source can produce.
const maxShardDraws = 1 << 40

// ShardSource returns the master source of shard k of a sharded run with the
// given seed, for Collect (or anything else that derives its streams from
// one source).
//
// It is a SplitMix64 generator (Steele, Lea & Flood, OOPSLA 2014) whose i-th
// output is mix(seed + (k·2^40 + i)·γ), γ = 0x9E3779B97F4A7C15 the golden
// gamma and mix the SplitMix64 finalizer. Multiplication by the odd γ is a
// bijection modulo 2^64 and so is mix, hence for a fixed seed the outputs of
// all shards are pairwise distinct as long as each shard draws fewer than
// 2^40 values (Uint64 panics beyond): Collect seeds every chain of every
// shard with its own pair of values no other chain receives — distinct
// streams by construction, not by chance. (A shard draws 2 values per chain.)
//
// It returns an error for k outside [0, MaxShards).
func ShardSource(seed uint64, k int) (rand.Source, error) {
	if k < 0 || k >= MaxShards {
		return nil, fmt.Errorf("sample: shard index %d outside [0, %d)", k, MaxShards)
	}
	return &shardSource{seed: seed, next: uint64(k) << 40}, nil
}

// shardSource is the counter-based generator of ShardSource.
type shardSource struct {
	seed uint64
	next uint64 // k·2^40 + i
	used uint64 // i
}

// Uint64 implements rand.Source.
func (s *shardSource) Uint64() uint64 {
	if s.used == maxShardDraws {
		panic("sample: a shard source produced 2^40 values; its outputs would overlap the next shard's")
	}
	z := s.seed + s.next*0x9E3779B97F4A7C15
	s.next++
	s.used++
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// Merge concatenates datasets of one geometry into a new Dataset: the rows of
// parts[0], then of parts[1], and so on (pass shards in shard order for a
// reproducible result). The data are copied; the parts are not modified.
//
// It returns an error naming the part if there are no parts, if a part is
// nil or inconsistent (N·D values, D = its geometry's dofs), if a part's
// geometry differs from part 0's (lattice.Geometry.Equal: same box, same dofs
// at the same coordinates in the same order), or if its States differ from
// part 0's (nil and {−1, 1} both mean ±1 spins). The result has part 0's
// States.
func Merge(parts ...*Dataset) (*Dataset, error) {
	if len(parts) == 0 {
		return nil, errors.New("sample: Merge needs at least one dataset")
	}
	total := 0
	for k, p := range parts {
		if err := p.check(); err != nil {
			return nil, fmt.Errorf("sample: Merge part %d: %s", k, strings.TrimPrefix(err.Error(), "sample: "))
		}
		if k > 0 && !p.Geom.Equal(parts[0].Geom) {
			what := "the same extents and dof count but other coordinates"
			if e0, e := parts[0].Geom.Extents(), p.Geom.Extents(); !equalInts(e0, e) || p.D != parts[0].D {
				what = fmt.Sprintf("extents %v with %d dofs, part 0 has extents %v with %d dofs", e, p.D, e0, parts[0].D)
			}
			return nil, fmt.Errorf("sample: Merge part %d has a different geometry from part 0: %s", k, what)
		}
		if k > 0 && !slices.Equal(spinsNil(p.States), spinsNil(parts[0].States)) {
			return nil, fmt.Errorf("sample: Merge part %d holds values %v, part 0 %v (nil: ±1)", k, p.States, parts[0].States)
		}
		if total > math.MaxInt-p.N {
			return nil, fmt.Errorf("sample: Merge: %d + %d samples overflow", total, p.N)
		}
		total += p.N
	}
	d := parts[0].D
	n, err := size.Elements(fmt.Sprintf("merged dataset of %d samples × %d dofs", total, d), 1, total, d)
	if err != nil {
		return nil, fmt.Errorf("sample: Merge: %w", err)
	}
	data := make([]int8, 0, n)
	for _, p := range parts {
		data = append(data, p.Data...)
	}
	return &Dataset{N: total, D: d, Data: data, Geom: parts[0].Geom, States: slices.Clone(parts[0].States)}, nil
}

// spinsNil returns nil for the ±1 alphabet and states otherwise.
func spinsNil(states []int8) []int8 {
	if slices.Equal(states, []int8{-1, 1}) {
		return nil
	}
	return states
}
