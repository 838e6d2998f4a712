package rbm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestWriteRead(t *testing.T) {
	for _, u := range []Units{Binary, Spin} {
		r := randomRBM(t, 5, 3, u, 1, 1, 2)
		var b bytes.Buffer
		n, err := r.WriteTo(&b)
		if err != nil || n != int64(b.Len()) || n != int64(headerLen+8*(15+5+3)+4) {
			t.Fatalf("WriteTo: %d bytes (buffer %d), err %v", n, b.Len(), err)
		}
		raw := append([]byte(nil), b.Bytes()...)
		b.WriteString("trailing") // Read must stop at the end of the RBM
		q, err := Read(&b)
		if err != nil {
			t.Fatal(err)
		}
		if b.String() != "trailing" {
			t.Errorf("Read consumed %q", b.String())
		}
		if q.Units() != u || q.NumVisible() != 5 || q.NumHidden() != 3 {
			t.Fatalf("read back %v %d×%d", q.Units(), q.NumVisible(), q.NumHidden())
		}
		for i := range 5 {
			for j := range 3 {
				if q.W.At(i, j) != r.W.At(i, j) {
					t.Errorf("W[%d,%d] %v != %v", i, j, q.W.At(i, j), r.W.At(i, j))
				}
			}
		}
		v := []int8{1, 1, u.low(), 1, u.low()}
		if q.FreeEnergy(v) != r.FreeEnergy(v) {
			t.Error("free energy differs after the round trip")
		}
		// every truncation is an error mentioning truncation
		for k := range len(raw) {
			_, err := Read(bytes.NewReader(raw[:k]))
			if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "truncated") {
				t.Fatalf("truncated at %d of %d: error %v", k, len(raw), err)
			}
		}
		// every single-bit change is detected
		for k := range len(raw) {
			bad := append([]byte(nil), raw...)
			bad[k] ^= 0x10
			if _, err := Read(bytes.NewReader(bad)); err == nil {
				t.Fatalf("altered byte %d: no error", k)
			}
		}
		// another version
		bad := append([]byte(nil), raw...)
		binary.LittleEndian.PutUint16(bad[len(formatMagic):], 2)
		if _, err := Read(bytes.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "version 2") {
			t.Errorf("version 2: error %v", err)
		}
		// altered payload reports the checksum
		bad = append([]byte(nil), raw...)
		bad[headerLen+3] ^= 1
		if _, err := Read(bytes.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "checksum") {
			t.Errorf("altered weight: error %v", err)
		}
	}
	if _, err := Read(strings.NewReader("not an RBM at all, definitely")); err == nil || !strings.Contains(err.Error(), "magic") {
		t.Errorf("foreign input: error %v", err)
	}
}
