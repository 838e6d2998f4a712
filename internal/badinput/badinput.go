// Package badinput is the shared harness of the packages' bad-input sweeps:
// every exported constructor and long call fed an invalid value must return a
// descriptive, package-prefixed error and no result, and must not panic.
package badinput

import (
	"reflect"
	"strings"
	"testing"
)

// Call is one invalid call: a name and the call, which returns the call's
// result and error. It is an alias of an unnamed struct type so that the
// packages may write their lists as {"name", func() (any, error) {…}}
// without field keys (vet asks for keys in literals of other packages'
// named struct types), or with them.
type Call = struct {
	Name string
	Call func() (any, error)
}

// Calls is a list of invalid calls.
type Calls = []Call

// minDetail is how many characters an error must say beyond its prefix.
const minDetail = 12

// Sweep runs every call as a subtest and fails it if the call panics,
// returns no error, returns an error that does not start with prefix or says
// fewer than minDetail characters after it, or returns a non-nil result.
func Sweep(t *testing.T, prefix string, calls []Call) {
	t.Helper()
	for _, c := range calls {
		t.Run(c.Name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s panicked: %v", c.Name, r)
				}
			}()
			res, err := c.Call()
			if err == nil {
				t.Fatalf("%s: no error", c.Name)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || len(msg) < len(prefix)+minDetail {
				t.Errorf("%s: error %q is not a descriptive %q error", c.Name, msg, prefix)
			}
			if res == nil {
				return
			}
			if v := reflect.ValueOf(res); !(v.Kind() == reflect.Pointer || v.Kind() == reflect.Slice) || !v.IsNil() {
				t.Errorf("%s: result %v returned with the error", c.Name, res)
			}
		})
	}
}
