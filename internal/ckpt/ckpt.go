// Package ckpt is the checkpoint container shared by rbm, rsmi and rg: an
// atomically written file holding a versioned, CRC-checksummed payload, and a
// little-endian encoder/decoder for the payload's fields.
//
// File layout (integers little-endian):
//
//	magic    "RSMICKPT" (8 bytes)
//	kind     uint16 length + bytes (e.g. "rbm.Train"), at most 64 bytes
//	version  uint16, the kind's payload format version
//	length   uint64, payload bytes
//	payload  length bytes
//	crc      uint32, CRC-32C (Castagnoli) of everything before it
//
// Write goes through a temporary file in the same directory that is synced
// and then renamed over the target, so a reader (or a run resumed after a
// SIGKILL) sees either the previous complete file or the new complete file.
package ckpt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
)

const magic = "RSMICKPT"

// MaxPayload bounds the payload size accepted by Decode (16 GiB).
const MaxPayload = 1 << 34

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is wrapped by every error Decode returns for a file that is
// truncated, altered or not a checkpoint.
var ErrCorrupt = errors.New("corrupt checkpoint")

// Encode returns the container bytes for payload.
func Encode(kind string, version uint16, payload []byte) []byte {
	b := make([]byte, 0, len(magic)+2+len(kind)+2+8+len(payload)+4)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(kind)))
	b = append(b, kind...)
	b = binary.LittleEndian.AppendUint16(b, version)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(payload)))
	b = append(b, payload...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// Decode checks the container data (magic, kind, version, length, checksum)
// and returns its payload (aliasing data).
func Decode(data []byte, kind string, version uint16) ([]byte, error) {
	corrupt := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, a...)...)
	}
	if len(data) < len(magic)+2 || !bytes.Equal(data[:len(magic)], []byte(magic)) {
		return nil, corrupt("not a checkpoint file (bad magic)")
	}
	p := len(magic)
	kl := int(binary.LittleEndian.Uint16(data[p:]))
	p += 2
	if kl > 64 || len(data) < p+kl+2+8 {
		return nil, corrupt("truncated header")
	}
	if k := string(data[p : p+kl]); k != kind {
		return nil, fmt.Errorf("checkpoint holds %q state, want %q", k, kind)
	}
	p += kl
	if v := binary.LittleEndian.Uint16(data[p:]); v != version {
		return nil, fmt.Errorf("checkpoint format version %d of %q, this build reads version %d", v, kind, version)
	}
	p += 2
	n := binary.LittleEndian.Uint64(data[p:])
	p += 8
	if n > MaxPayload || uint64(len(data)-p) < n+4 {
		return nil, corrupt("truncated: header announces %d payload bytes, file has %d", n, max(0, len(data)-p-4))
	}
	end := p + int(n)
	if len(data) != end+4 {
		return nil, corrupt("%d trailing bytes after the checksum", len(data)-end-4)
	}
	if got, want := binary.LittleEndian.Uint32(data[end:]), crc32.Checksum(data[:end], castagnoli); got != want {
		return nil, corrupt("checksum mismatch (stored %08x, computed %08x): the file was altered or truncated", got, want)
	}
	return data[p:end], nil
}

// Write atomically writes the container for payload to path: a temporary
// file in the same directory is written, synced and renamed over path, and
// the directory is synced.
func Write(path, kind string, version uint16, payload []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(Encode(kind, version, payload)); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // not every platform can sync a directory
		d.Close()
	}
	return nil
}

// Read reads and checks the checkpoint at path (see Decode). A missing file
// gives an error wrapping os.ErrNotExist.
func Read(path, kind string, version uint16) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := Decode(data, kind, version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Enc appends little-endian fields to a byte slice.
type Enc struct{ B []byte }

func (e *Enc) U64(x uint64)  { e.B = binary.LittleEndian.AppendUint64(e.B, x) }
func (e *Enc) Int(x int)     { e.U64(uint64(int64(x))) }
func (e *Enc) F64(x float64) { e.U64(math.Float64bits(x)) }
func (e *Enc) Bool(x bool) {
	if x {
		e.B = append(e.B, 1)
	} else {
		e.B = append(e.B, 0)
	}
}
func (e *Enc) Bytes(x []byte)  { e.U64(uint64(len(x))); e.B = append(e.B, x...) }
func (e *Enc) String(x string) { e.Bytes([]byte(x)) }
func (e *Enc) F64s(x []float64) {
	e.U64(uint64(len(x)))
	for _, v := range x {
		e.F64(v)
	}
}
func (e *Enc) F32s(x []float32) {
	e.U64(uint64(len(x)))
	for _, v := range x {
		e.B = binary.LittleEndian.AppendUint32(e.B, math.Float32bits(v))
	}
}
func (e *Enc) I32s(x []int32) {
	e.U64(uint64(len(x)))
	for _, v := range x {
		e.B = binary.LittleEndian.AppendUint32(e.B, uint32(v))
	}
}
func (e *Enc) I8s(x []int8) {
	e.U64(uint64(len(x)))
	for _, v := range x {
		e.B = append(e.B, byte(v))
	}
}

// Dec reads fields written by Enc. The first failure (running past the end,
// a length larger than the remaining bytes) is sticky: later reads return
// zero values and Err reports it. Dec never panics and never allocates more
// than the input can hold.
type Dec struct {
	B   []byte
	err error
}

// Err returns the first decoding error, or an error if bytes remain unread.
func (d *Dec) Err() error {
	if d.err == nil && len(d.B) != 0 {
		return fmt.Errorf("%w: %d unexpected bytes at the end of the payload", ErrCorrupt, len(d.B))
	}
	return d.err
}

func (d *Dec) take(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.B)) {
		d.err = fmt.Errorf("%w: payload truncated (field of %d bytes, %d left)", ErrCorrupt, n, len(d.B))
		return nil
	}
	x := d.B[:n]
	d.B = d.B[n:]
	return x
}

func (d *Dec) U64() uint64 {
	b := d.take(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}
func (d *Dec) Int() int     { return int(int64(d.U64())) }
func (d *Dec) F64() float64 { return math.Float64frombits(d.U64()) }
func (d *Dec) Bool() bool {
	b := d.take(1)
	return b != nil && b[0] == 1
}

// count reads a length prefix for elements of size bytes each.
func (d *Dec) count(size uint64) int {
	n := d.U64()
	if d.err == nil && n > uint64(len(d.B))/size {
		d.err = fmt.Errorf("%w: length %d exceeds the remaining %d bytes", ErrCorrupt, n, len(d.B))
		return 0
	}
	return int(n)
}

func (d *Dec) Bytes() []byte {
	n := d.count(1)
	return append([]byte(nil), d.take(uint64(n))...)
}
func (d *Dec) String() string { return string(d.Bytes()) }
func (d *Dec) F64s() []float64 {
	n := d.count(8)
	b := d.take(uint64(8 * n))
	if b == nil {
		return nil
	}
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return x
}
func (d *Dec) F32s() []float32 {
	n := d.count(4)
	b := d.take(uint64(4 * n))
	if b == nil {
		return nil
	}
	x := make([]float32, n)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return x
}
func (d *Dec) I32s() []int32 {
	n := d.count(4)
	b := d.take(uint64(4 * n))
	if b == nil {
		return nil
	}
	x := make([]int32, n)
	for i := range x {
		x[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return x
}
func (d *Dec) I8s() []int8 {
	n := d.count(1)
	b := d.take(uint64(n))
	if b == nil {
		return nil
	}
	x := make([]int8, n)
	for i, v := range b {
		x[i] = int8(v)
	}
	return x
}

// Fail records err (if no error is recorded yet): decoders use it for
// semantic checks (a length that does not match the expected shape).
func (d *Dec) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// CRC returns the CRC-32C of data, used as a fingerprint of inputs.
func CRC(data []byte) uint32 { return crc32.Checksum(data, castagnoli) }

// CRCInt8 returns the CRC-32C of int8 data.
func CRCInt8(x []int8) uint32 {
	const chunk = 1 << 16
	var buf [chunk]byte
	c := uint32(0)
	for len(x) > 0 {
		n := min(len(x), chunk)
		for i, v := range x[:n] {
			buf[i] = byte(v)
		}
		c = crc32.Update(c, castagnoli, buf[:n])
		x = x[n:]
	}
	return c
}

// Exists reports whether path exists (any error other than not-exist counts
// as existing, so that the caller's Read reports it).
func Exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}
