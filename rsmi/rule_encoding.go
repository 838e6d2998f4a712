package rsmi

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/rsmi-go/rsmi/internal/ckpt"
)

// Rules encode themselves for checkpoints (rg.Flow saves the rule of every
// level, the pipeline of package exponent the learned rules): a rule that
// implements encoding.BinaryMarshaler and whose type is registered with
// RegisterRule is written by MarshalRule as its registered name followed by
// its own bytes, and UnmarshalRule rebuilds it with the registered decoder.
// The built-in rules (Majority, Plurality, Decimation, *Filter,
// *SoftmaxFilter, MostProbable, Symmetrize and SymmetrizeStates of an
// encodable rule, *RuleTable) are registered by this package; users register their own rules in an init function, as with
// encoding/gob.

var ruleRegistry = struct {
	sync.RWMutex
	byName map[string]func([]byte) (Rule, error)
	byType map[reflect.Type]string
}{byName: map[string]func([]byte) (Rule, error){}, byType: map[reflect.Type]string{}}

// RegisterRule makes rules of prototype's dynamic type encodable under name:
// MarshalRule writes the name and the rule's MarshalBinary bytes, and
// UnmarshalRule calls decode with those bytes. decode must validate its
// input and return an error, never panic, for bytes it did not write. It
// panics if name or the type is registered twice, decode is nil or prototype
// does not implement encoding.BinaryMarshaler (a programming error, found at init).
func RegisterRule(name string, prototype Rule, decode func([]byte) (Rule, error)) {
	if decode == nil {
		panic(fmt.Sprintf("rsmi: RegisterRule(%q): nil decode function", name))
	}
	if _, ok := prototype.(encoding.BinaryMarshaler); !ok {
		panic(fmt.Sprintf("rsmi: RegisterRule(%q): %T does not implement encoding.BinaryMarshaler", name, prototype))
	}
	t := reflect.TypeOf(prototype)
	ruleRegistry.Lock()
	defer ruleRegistry.Unlock()
	if _, dup := ruleRegistry.byName[name]; dup {
		panic(fmt.Sprintf("rsmi: rule name %q registered twice", name))
	}
	if old, dup := ruleRegistry.byType[t]; dup {
		panic(fmt.Sprintf("rsmi: rule type %v registered twice (as %q and %q)", t, old, name))
	}
	ruleRegistry.byName[name] = decode
	ruleRegistry.byType[t] = name
}

// MarshalRule encodes a registered rule (see RegisterRule).
func MarshalRule(r Rule) ([]byte, error) {
	if r == nil {
		return nil, errors.New("rsmi: MarshalRule of a nil rule")
	}
	ruleRegistry.RLock()
	name, ok := ruleRegistry.byType[reflect.TypeOf(r)]
	ruleRegistry.RUnlock()
	if !ok {
		return nil, fmt.Errorf("rsmi: rule type %T is not registered for encoding (rsmi.RegisterRule)", r)
	}
	b, err := r.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("rsmi: encoding rule %q: %w", name, err)
	}
	var e ckpt.Enc
	e.String(name)
	e.Bytes(b)
	return e.B, nil
}

// UnmarshalRule decodes a rule written by MarshalRule. Bytes it cannot
// decode, or a name that is not registered, give an error.
func UnmarshalRule(b []byte) (Rule, error) {
	d := &ckpt.Dec{B: b}
	name := d.String()
	payload := d.Bytes()
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("rsmi: decoding a rule: %w", err)
	}
	ruleRegistry.RLock()
	decode, ok := ruleRegistry.byName[name]
	ruleRegistry.RUnlock()
	if !ok {
		return nil, fmt.Errorf("rsmi: rule %q is not registered (rsmi.RegisterRule)", name)
	}
	r, err := decode(payload)
	if err != nil {
		return nil, fmt.Errorf("rsmi: decoding rule %q: %w", name, err)
	}
	return r, nil
}

func init() {
	RegisterRule("majority", Majority{}, func(b []byte) (Rule, error) {
		if len(b) != 0 {
			return nil, fmt.Errorf("%w: %d bytes for majority rule", ckpt.ErrCorrupt, len(b))
		}
		return Majority{}, nil
	})
	RegisterRule("decimation", Decimation{}, decodeDecimation)
	RegisterRule("filter", &Filter{}, decodeFilter)
	RegisterRule("most-probable", &mostProbable{}, func(b []byte) (Rule, error) {
		r, err := UnmarshalRule(b)
		if err != nil {
			return nil, err
		}
		return MostProbable(r), nil
	})
	RegisterRule("symmetrized", &symmetrized{}, decodeSymmetrized)
	RegisterRule("table", &RuleTable{}, decodeRuleTable)
	RegisterRule("plurality", Plurality{}, decodePlurality)
	RegisterRule("softmax-filter", &SoftmaxFilter{}, decodeSoftmaxFilter)
	RegisterRule("symmetrized-states", &stateSymmetrized{}, decodeStateSymmetrized)
}

// MarshalBinary implements encoding.BinaryMarshaler (empty).
func (Majority) MarshalBinary() ([]byte, error) { return nil, nil }

// MarshalBinary implements encoding.BinaryMarshaler.
func (d Decimation) MarshalBinary() ([]byte, error) {
	var e ckpt.Enc
	e.Int(d.Site)
	encodeAlphabet(&e, d.Values)
	return e.B, nil
}

// encodeAlphabet appends an alphabet, nil (±1) or not.
func encodeAlphabet(e *ckpt.Enc, states []int8) {
	e.Bool(states != nil)
	e.I8s(states)
}

// decodeAlphabet reads what encodeAlphabet wrote (the caller checks
// d.Err() and validates the alphabet).
func decodeAlphabet(d *ckpt.Dec) []int8 {
	has := d.Bool()
	vals := d.I8s()
	if !has {
		return nil
	}
	return vals
}

func decodeDecimation(b []byte) (Rule, error) {
	d := &ckpt.Dec{B: b}
	r := Decimation{Site: d.Int(), Values: decodeAlphabet(d)}
	if err := d.Err(); err != nil {
		return nil, err
	}
	if err := checkAlphabet(r.Values); err != nil {
		return nil, err
	}
	if r.Site < 0 {
		return nil, fmt.Errorf("%w: decimation site %d", ckpt.ErrCorrupt, r.Site)
	}
	return r, nil
}

// MarshalBinary implements encoding.BinaryMarshaler: NH, NV, the weights
// and the biases.
func (f *Filter) MarshalBinary() ([]byte, error) {
	var e ckpt.Enc
	e.Int(f.NH)
	e.Int(f.NV)
	encodeWeights(&e, f.W, f.Bias)
	return e.B, nil
}

func decodeFilter(b []byte) (Rule, error) {
	d := &ckpt.Dec{B: b}
	f := &Filter{NH: d.Int(), NV: d.Int()}
	f.W, f.Bias = decodeWeights(d)
	if err := d.Err(); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// encodeWeights appends weights and optional biases (nil: none).
func encodeWeights(e *ckpt.Enc, w, bias []float64) {
	e.F64s(w)
	e.Bool(bias != nil)
	e.F64s(bias)
}

// decodeWeights reads what encodeWeights wrote.
func decodeWeights(d *ckpt.Dec) (w, bias []float64) {
	w = d.F64s()
	has, b := d.Bool(), d.F64s()
	if has {
		bias = b
	}
	return w, bias
}

func (m *mostProbable) MarshalBinary() ([]byte, error) { return MarshalRule(m.r) }

func (s *symmetrized) MarshalBinary() ([]byte, error) {
	inner, err := MarshalRule(s.r)
	if err != nil {
		return nil, err
	}
	var e ckpt.Enc
	e.Bytes(inner)
	encodePerms(&e, s.perms)
	return e.B, nil
}

// encodePerms appends a list of permutations.
func encodePerms(e *ckpt.Enc, perms [][]int) {
	e.Int(len(perms))
	for _, g := range perms {
		p := make([]int32, len(g))
		for i, x := range g {
			p[i] = int32(x)
		}
		e.I32s(p)
	}
}

// decodePerms reads what encodePerms wrote.
func decodePerms(d *ckpt.Dec) ([][]int, error) {
	n := d.Int()
	if n < 1 || n > len(d.B) {
		return nil, fmt.Errorf("%w: %d permutations", ckpt.ErrCorrupt, n)
	}
	perms := make([][]int, 0, n)
	for k := 0; k < n; k++ {
		p := d.I32s()
		g := make([]int, len(p))
		for i, x := range p {
			g[i] = int(x)
		}
		perms = append(perms, g)
	}
	return perms, d.Err()
}

func decodeSymmetrized(b []byte) (Rule, error) {
	d := &ckpt.Dec{B: b}
	inner := d.Bytes()
	perms, err := decodePerms(d)
	if err != nil {
		return nil, err
	}
	r, err := UnmarshalRule(inner)
	if err != nil {
		return nil, err
	}
	return Symmetrize(r, perms)
}

// MarshalBinary implements encoding.BinaryMarshaler: the tabulated rule,
// the block size and the alphabet (the table is rebuilt on decoding).
func (t *RuleTable) MarshalBinary() ([]byte, error) {
	inner, err := MarshalRule(t.rule)
	if err != nil {
		return nil, err
	}
	var e ckpt.Enc
	e.Bytes(inner)
	e.Int(t.nv)
	e.I8s(t.states)
	return e.B, nil
}

func decodeRuleTable(b []byte) (Rule, error) {
	d := &ckpt.Dec{B: b}
	inner := d.Bytes()
	nv := d.Int()
	states := d.I8s()
	if err := d.Err(); err != nil {
		return nil, err
	}
	r, err := UnmarshalRule(inner)
	if err != nil {
		return nil, err
	}
	return TabulateRule(r, nv, states)
}

// MarshalBinary implements encoding.BinaryMarshaler: the alphabet.
func (p Plurality) MarshalBinary() ([]byte, error) {
	var e ckpt.Enc
	encodeAlphabet(&e, p.Values)
	return e.B, nil
}

func decodePlurality(b []byte) (Rule, error) {
	d := &ckpt.Dec{B: b}
	p := Plurality{Values: decodeAlphabet(d)}
	if err := d.Err(); err != nil {
		return nil, err
	}
	if err := checkAlphabet(p.Values); err != nil {
		return nil, err
	}
	return p, nil
}

// MarshalBinary implements encoding.BinaryMarshaler: NH, NV, the
// alphabets, the weights and the biases.
func (f *SoftmaxFilter) MarshalBinary() ([]byte, error) {
	var e ckpt.Enc
	e.Int(f.NH)
	e.Int(f.NV)
	encodeAlphabet(&e, f.VStates)
	encodeAlphabet(&e, f.HStates)
	encodeWeights(&e, f.W, f.Bias)
	return e.B, nil
}

func decodeSoftmaxFilter(b []byte) (Rule, error) {
	d := &ckpt.Dec{B: b}
	f := &SoftmaxFilter{NH: d.Int(), NV: d.Int(), VStates: decodeAlphabet(d), HStates: decodeAlphabet(d)}
	f.W, f.Bias = decodeWeights(d)
	if err := d.Err(); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

func (s *stateSymmetrized) MarshalBinary() ([]byte, error) {
	inner, err := MarshalRule(s.r)
	if err != nil {
		return nil, err
	}
	var e ckpt.Enc
	e.Bytes(inner)
	e.I8s(s.states)
	encodePerms(&e, s.perms)
	return e.B, nil
}

func decodeStateSymmetrized(b []byte) (Rule, error) {
	d := &ckpt.Dec{B: b}
	inner := d.Bytes()
	states := d.I8s()
	perms, err := decodePerms(d)
	if err != nil {
		return nil, err
	}
	r, err := UnmarshalRule(inner)
	if err != nil {
		return nil, err
	}
	return SymmetrizeStates(r, states, perms)
}
