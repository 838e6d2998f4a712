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
// A temporary left behind by a write that was killed is removed by the next
// successful write of the same file (see WriteAtomic).
//
// Read checks the header (magic, kind, version) and compares the declared
// payload length with the file's size before it reads the file, so a file
// that is not the expected checkpoint costs a few bytes of reading whatever
// its size, and it refuses payloads larger than the memory budget of
// internal/size before allocating them.
package ckpt

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/rsmi-go/rsmi/internal/size"
)

const magic = "RSMICKPT"

// maxKind bounds the length of the kind string.
const maxKind = 64

// maxHeader is the largest header: magic, kind length and kind, version,
// payload length.
const maxHeader = len(magic) + 2 + maxKind + 2 + 8

// MaxPayload bounds the payload size accepted by Decode (16 GiB).
const MaxPayload = 1 << 34

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is wrapped by every error Decode returns for a file that is
// truncated, altered or not a checkpoint.
var ErrCorrupt = errors.New("corrupt checkpoint")

func corrupt(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, a...)...)
}

// appendHeader appends the container header for a payload of n bytes.
func appendHeader(b []byte, kind string, version uint16, n int) []byte {
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(kind)))
	b = append(b, kind...)
	b = binary.LittleEndian.AppendUint16(b, version)
	return binary.LittleEndian.AppendUint64(b, uint64(n))
}

// Encode returns the container bytes for payload.
func Encode(kind string, version uint16, payload []byte) []byte {
	b := make([]byte, 0, len(magic)+2+len(kind)+2+8+len(payload)+4)
	b = appendHeader(b, kind, version, len(payload))
	b = append(b, payload...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// header checks the container header at the start of data (magic, kind,
// version, declared length; data may stop anywhere after the header) and
// returns the offset and the declared length of the payload.
func header(data []byte, kind string, version uint16) (off int, n uint64, err error) {
	if len(data) < len(magic)+2 || !bytes.Equal(data[:len(magic)], []byte(magic)) {
		return 0, 0, corrupt("not a checkpoint file (bad magic)")
	}
	p := len(magic)
	kl := int(binary.LittleEndian.Uint16(data[p:]))
	p += 2
	if kl > maxKind || len(data) < p+kl+2+8 {
		return 0, 0, corrupt("truncated header")
	}
	if k := string(data[p : p+kl]); k != kind {
		return 0, 0, fmt.Errorf("checkpoint holds %q state, want %q", k, kind)
	}
	p += kl
	if v := binary.LittleEndian.Uint16(data[p:]); v != version {
		return 0, 0, fmt.Errorf("checkpoint format version %d of %q, this build reads version %d", v, kind, version)
	}
	p += 2
	n = binary.LittleEndian.Uint64(data[p:])
	p += 8
	if n > MaxPayload {
		return 0, 0, corrupt("header announces %d payload bytes, more than the %d a checkpoint may hold", n, uint64(MaxPayload))
	}
	return p, n, nil
}

// checkLength compares the file length the header implies with the actual
// length total.
func checkLength(off int, n uint64, total int64) error {
	want := uint64(off) + n + 4
	switch {
	case uint64(total) < want:
		return corrupt("truncated: header announces %d payload bytes, file has %d", n, max(0, total-int64(off)-4))
	case uint64(total) > want:
		return corrupt("%d trailing bytes after the checksum", uint64(total)-want)
	}
	return nil
}

// Decode checks the container data (magic, kind, version, length, checksum)
// and returns its payload (aliasing data).
func Decode(data []byte, kind string, version uint16) ([]byte, error) {
	p, n, err := header(data, kind, version)
	if err != nil {
		return nil, err
	}
	if err := checkLength(p, n, int64(len(data))); err != nil {
		return nil, err
	}
	end := p + int(n)
	if got, want := binary.LittleEndian.Uint32(data[end:]), crc32.Checksum(data[:end], castagnoli); got != want {
		return nil, corrupt("checksum mismatch (stored %08x, computed %08x): the file was altered or truncated", got, want)
	}
	return data[p:end], nil
}

// Write atomically writes the container for payload to path (see
// WriteAtomic), streaming it without a copy of the payload.
func Write(path, kind string, version uint16, payload []byte) error {
	return WriteAtomic(path, func(w io.Writer) error {
		h := appendHeader(make([]byte, 0, maxHeader), kind, version, len(payload))
		crc := crc32.Update(crc32.Checksum(h, castagnoli), castagnoli, payload)
		for _, b := range [][]byte{h, payload, binary.LittleEndian.AppendUint32(nil, crc)} {
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
}

// WriteAtomic writes the file path through write: into a temporary file
// ".BASE.tmpNNN" in the same directory (BASE the file name of path, NNN
// random digits) that is flushed, synced and renamed over path, after which
// the directory is synced. A reader therefore sees the previous file or the
// new one, never a torn one. If write fails, its error is returned as is and
// the temporary removed; path is untouched.
//
// A process killed during a write leaves its temporary behind. After a
// successful rename, WriteAtomic removes every ".BASE.tmpNNN" file in the
// directory: two processes must therefore not write the same path at the
// same time (which would be a race on path anyway).
func WriteAtomic(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, tmpPrefix(base)+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<16)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // not every platform can sync a directory
		d.Close()
	}
	removeOrphans(dir, base)
	return nil
}

// tmpPrefix is the name prefix of WriteAtomic's temporaries for base.
func tmpPrefix(base string) string { return "." + base + ".tmp" }

// removeOrphans removes the temporaries of base in dir that killed writes
// left behind (best effort: errors are ignored, the next write retries).
func removeOrphans(dir, base string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tmpPrefix(base)
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || rest == "" || !e.Type().IsRegular() || strings.Trim(rest, "0123456789") != "" {
			continue
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
}

// Read reads and checks the checkpoint at path (see Decode). A missing file
// gives an error wrapping os.ErrNotExist. The header is checked, and the
// declared length compared with the file's size and the memory budget,
// before the file is read.
func Read(path, kind string, version uint16) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	p, err := readFrom(f, fi.Size(), kind, version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// readFrom reads a container of total bytes from r, checking the header
// before reading the rest.
func readFrom(r io.Reader, total int64, kind string, version uint16) ([]byte, error) {
	head := make([]byte, min(int64(maxHeader), max(total, 0)))
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, readError("the header", err)
	}
	p, n, err := header(head, kind, version)
	if err != nil {
		return nil, err
	}
	if err := checkLength(p, n, total); err != nil {
		return nil, err
	}
	if err := size.CheckElements("checkpoint", int(total), 1); err != nil {
		return nil, err
	}
	data := make([]byte, total)
	copy(data, head)
	if _, err := io.ReadFull(r, data[len(head):]); err != nil {
		return nil, readError("the payload", err)
	}
	return Decode(data, kind, version)
}

// readError reports a failed read: a file that ends early (it shrank since
// its size was taken) is corrupt, other errors are I/O errors.
func readError(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return corrupt("the file ended while reading %s", what)
	}
	return fmt.Errorf("reading %s: %w", what, err)
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
