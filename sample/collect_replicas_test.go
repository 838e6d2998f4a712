package sample

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
)

func TestCollectReplicas(t *testing.T) {
	l, _ := lattice.NewSquare(8)
	m, _ := lattice.NewNearestNeighborIsing(l, 1)
	var last *Multispin
	factory := func(src rand.Source) (Sampler, error) {
		s, err := NewMultispin(m, 2.269185, src)
		last = s
		return s, err
	}
	plan := Plan{Chains: 2, BurnIn: 10, Every: 2, PerChain: 3, Replicas: true}
	ds, err := Collect(context.Background(), factory, plan, rand.NewPCG(5, 6))
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * 3 * MultispinReplicas; ds.N != want {
		t.Fatalf("%d rows, want %d", ds.N, want)
	}
	// The last stored rows of chain 1 are the final replica states of the last chain built.
	for r := 0; r < MultispinReplicas; r++ {
		row := ds.Row(ds.N - MultispinReplicas + r)
		if !bytes.Equal(int8Bytes(row), int8Bytes(last.Replica(r, nil))) {
			t.Fatalf("row of replica %d differs from the sampler's replica", r)
		}
	}
	// replicas differ from each other
	if bytes.Equal(int8Bytes(ds.Row(0)), int8Bytes(ds.Row(1))) {
		t.Error("replicas 0 and 1 stored identical configurations")
	}
	again, err := Collect(context.Background(), factory, plan, rand.NewPCG(5, 6))
	if err != nil || !bytes.Equal(int8Bytes(again.Data), int8Bytes(ds.Data)) {
		t.Fatalf("not reproducible: %v", err)
	}
	// a scalar sampler cannot serve replicas
	_, err = Collect(context.Background(), func(src rand.Source) (Sampler, error) { return NewMetropolis(m, 2, src) }, plan, rand.NewPCG(5, 6))
	if err == nil || !strings.Contains(err.Error(), "not a ReplicaSampler") {
		t.Fatalf("error %v, want one naming ReplicaSampler", err)
	}
}
