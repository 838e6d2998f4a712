package sample

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/internal/size"
	"github.com/rsmi-go/rsmi/lattice"
)

// NumPy .npy format (https://numpy.org/neps/nep-0001-npy-format.html):
// the magic string "\x93NUMPY", a major and minor version byte, the header
// length (uint16 little-endian in version 1, uint32 in versions 2 and 3),
// then the header — a Python dict literal with the keys 'descr' (the dtype),
// 'fortran_order' and 'shape', padded with spaces and ended by '\n' — then
// the array data.
//
// The header is parsed here rather than with codeberg.org/sbinet/npyio's
// reader (v0.14.0), which panics on headers without a final newline or with
// keys in another order, reads a shape without the trailing ", " wrongly
// ((3, 4) as (3,)), ignores fortran_order when reading into a slice, and
// allocates what the header claims before reading. The tests use npyio as an
// independent reader and writer to check that both sides agree.

const (
	npyMagic = "\x93NUMPY"
	// maxNPYHeader bounds the header length read from a file (NumPy itself
	// refuses headers over 10000 bytes by default).
	maxNPYHeader = 1 << 20
	// readChunk is the number of bytes read (and values decoded) at a time.
	readChunk = 1 << 16
)

// fullGrid reports whether g is exactly a full hypercubic grid: one dof per
// point of its box, dof i at the point whose x-fastest index is i (as for a
// lattice.Lattice). It returns the extents if so.
func fullGrid(g *lattice.Geometry) ([]int, bool) {
	ext := g.Extents()
	cells := 1
	for _, e := range ext {
		cells *= e
	}
	if cells != g.NumDOF() {
		return nil, false
	}
	c := make([]int, 0, len(ext))
	for i := range cells {
		c = g.Coord(i, c)
		idx, s := 0, 1
		for a, x := range c {
			idx += x * s
			s *= ext[a]
		}
		if idx != i {
			return nil, false
		}
	}
	return ext, true
}

// gridBytesPerDOF is the memory gridGeometry needs per dof in dim
// dimensions: its coordinate rows (a slice header and dim ints) and the
// Geometry's copy of the coordinates and its grid index.
func gridBytesPerDOF(dim int) int { return 24 + 8*dim + 8*dim + 4 }

// gridGeometry returns the full-grid geometry with the given extents, dofs in
// x-fastest order. It refuses grids whose geometry would exceed the memory
// budget (internal/size) before allocating.
func gridGeometry(ext []int) (*lattice.Geometry, error) {
	for a, e := range ext {
		if e < 1 {
			return nil, fmt.Errorf("extent %d along axis %d is not positive", e, a)
		}
	}
	cells, err := size.Elements(fmt.Sprintf("grid geometry %v", ext), gridBytesPerDOF(len(ext)), ext...)
	if err != nil {
		return nil, err
	}
	coords := make([][]int, cells)
	flat := make([]int, cells*len(ext))
	for i := range coords {
		c := flat[i*len(ext) : (i+1)*len(ext) : (i+1)*len(ext)]
		r := i
		for a, e := range ext {
			c[a] = r % e
			r /= e
		}
		coords[i] = c
	}
	return lattice.NewGeometry(ext, coords)
}

// gridShape is the NumPy shape (n, …, Ly, Lx) of n configurations of a grid
// with extents ext (x first).
func gridShape(n int, ext []int) []int {
	shape := []int{n}
	for a := len(ext) - 1; a >= 0; a-- {
		shape = append(shape, ext[a])
	}
	return shape
}

// npyShape returns the NumPy shape WriteNPY uses for ds.
func (ds *Dataset) npyShape() []int {
	if ext, ok := fullGrid(ds.Geom); ok && len(ext) > 1 {
		return gridShape(ds.N, ext)
	}
	return []int{ds.N, ds.D}
}

// WriteNPY writes the dataset to w as a NumPy .npy array of dtype int8
// ('|i1'), C order. The shape is (n, d), except when the geometry is exactly
// a full grid of two or more dimensions (every point of the box holds one
// dof, in x-fastest order, as for a lattice.Lattice): then it is
// (n, …, Ly, Lx) — the extents reversed, so that the last NumPy axis is x,
// the fastest — e.g. (n, L, L) for an L×L square lattice. The geometry itself
// is not stored; see WriteGeometry and SaveDataset. In Python:
//
//	x = np.load("x.npy")   # int8 array of shape (n, Ly, Lx) or (n, d)
func (ds *Dataset) WriteNPY(w io.Writer) error {
	if err := ds.check(); err != nil {
		return err
	}
	shape := ds.npyShape()
	dims := make([]string, len(shape))
	for i, s := range shape {
		dims[i] = strconv.Itoa(s)
	}
	dict := fmt.Sprintf("{'descr': '|i1', 'fortran_order': False, 'shape': (%s), }", strings.Join(dims, ", "))
	// Pad with spaces so that magic+version+length+header is a multiple of
	// 64 bytes, as NumPy does; the header ends with '\n'.
	pre := len(npyMagic) + 2 + 2
	total := pre + len(dict) + 1
	total = (total + 63) / 64 * 64
	hdr := make([]byte, 0, total)
	hdr = append(hdr, npyMagic...)
	hdr = append(hdr, 1, 0)
	hdr = binary.LittleEndian.AppendUint16(hdr, uint16(total-pre))
	hdr = append(hdr, dict...)
	for len(hdr) < total-1 {
		hdr = append(hdr, ' ')
	}
	hdr = append(hdr, '\n')
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("sample: writing npy header: %w", err)
	}
	buf := make([]byte, min(len(ds.Data), readChunk))
	for off := 0; off < len(ds.Data); off += len(buf) {
		chunk := ds.Data[off:min(off+len(buf), len(ds.Data))]
		for i, v := range chunk {
			buf[i] = byte(v)
		}
		if _, err := w.Write(buf[:len(chunk)]); err != nil {
			return fmt.Errorf("sample: writing npy data: %w", err)
		}
	}
	return nil
}

// sizeIs reports whether n = a·b, without overflow.
func sizeIs(n, a, b int) bool {
	p, err := size.Mul(a, b)
	return err == nil && p == n
}

// check validates the dataset's internal consistency.
func (ds *Dataset) check() error {
	switch {
	case ds == nil:
		return errors.New("sample: nil dataset")
	case ds.Geom == nil:
		return errors.New("sample: dataset has no geometry")
	case ds.D != ds.Geom.NumDOF():
		return fmt.Errorf("sample: dataset has %d dofs per sample but its geometry has %d", ds.D, ds.Geom.NumDOF())
	case ds.N < 1 || !sizeIs(len(ds.Data), ds.N, ds.D):
		return fmt.Errorf("sample: dataset of %d×%d holds %d values", ds.N, ds.D, len(ds.Data))
	}
	return nil
}

// ValueMap says which values ReadNPYWith and LoadDatasetWith accept and how
// they map them.
type ValueMap uint8

const (
	// KeepValues keeps every value as stored (bool reads as 0/1).
	KeepValues ValueMap = iota
	// RequireSpins accepts only ±1 spins.
	RequireSpins
	// Map01 maps 0 to −1 and 1 to +1 (bool False/True likewise) and
	// rejects any other value: for occupation-number or bit data that
	// should become ±1 spins.
	Map01
	// MapAuto accepts ±1 spins or 0/1 bits, whichever the file holds: if
	// every value is −1, 0 or +1 and no −1 meets a 0, a file holding a 0
	// is mapped as by Map01 and any other file is kept (so a file of +1
	// only reads as +1 spins, the same in both conventions). A value
	// outside {−1, 0, 1}, or a −1 and a 0 in the same file, is an error
	// naming both positions.
	MapAuto
)

// String returns the constant's name.
func (m ValueMap) String() string {
	switch m {
	case KeepValues:
		return "KeepValues"
	case RequireSpins:
		return "RequireSpins"
	case Map01:
		return "Map01"
	case MapAuto:
		return "MapAuto"
	}
	return "ValueMap(" + strconv.Itoa(int(m)) + ")"
}

// ReadOptions modifies how ReadNPYWith and LoadDatasetWith convert values;
// nil means the defaults.
type ReadOptions struct {
	// Values says which stored values are accepted and how they are mapped
	// (default KeepValues: as stored).
	Values ValueMap
}

func (o *ReadOptions) values() (ValueMap, error) {
	if o == nil {
		return KeepValues, nil
	}
	if o.Values > MapAuto {
		return 0, fmt.Errorf("sample: unknown ReadOptions.Values %d", int(o.Values))
	}
	return o.Values, nil
}

// ReadNPY reads a NumPy .npy array as a Dataset with geometry g; it is
// ReadNPYWith with no options: values are kept as they are.
func ReadNPY(r io.Reader, g *lattice.Geometry) (*Dataset, error) {
	return ReadNPYWith(r, g, nil)
}

// ReadNPYWith reads a NumPy .npy array (format versions 1, 2 and 3) as a
// Dataset with geometry g; opt may be nil.
//
// Accepted dtypes: int8 and every other integer type (i1…i8, u1…u8), bool
// (b1) and float (f4, f8), little- or big-endian ('=' is taken as
// little-endian), in C or Fortran order. Values must be integers in the int8
// range — a float NaN, a non-integral or an out-of-range value is an error
// naming its position — and are then kept or mapped as opt.Values says: by
// default kept as they are (±1 spins stay ±1, 0/1 data stay 0/1, bool reads
// as 0/1); MapAuto reads ±1 spins and 0/1 bits alike as ±1 spins.
//
// The shape must be (n, d) with d = g.NumDOF(), or, when g is a full grid
// (see WriteNPY), (n, …, Ly, Lx) with the grid's extents reversed. If g is
// nil the geometry is inferred from the shape: (n, L) is a chain of L sites,
// (n, Ly, Lx) an Lx×Ly grid, (n, Lz, Ly, Lx) a cubic grid and so on — the
// geometry of lattice.NewLattice(Lx, Ly, …). An (n, d) file of a geometry that
// is not a grid (e.g. dimers) therefore needs g; LoadDataset reads it from
// the sidecar file.
//
// Exactly the header and n·d values are read from r; trailing bytes are left
// unread. Nothing larger than the input is allocated for a shape the input
// does not back with data: when r tells how much remains (a *bytes.Reader,
// *strings.Reader, *bytes.Buffer or *os.File), a shape needing more bytes
// is refused at once; otherwise the values are read in chunks and the
// geometry inferred from the shape only once they have arrived. A shape of
// more values than the module's memory budget (8 GiB unless the environment
// variable RSMI_MAX_BYTES says otherwise) is refused before reading. Errors
// name what is wrong: magic, version, header syntax, dtype, shape versus
// geometry, truncated data, or the first bad value.
func ReadNPYWith(r io.Reader, g *lattice.Geometry, opt *ReadOptions) (*Dataset, error) {
	mode, err := opt.values()
	if err != nil {
		return nil, err
	}
	h, err := readNPYHeader(r)
	if err != nil {
		return nil, err
	}
	rem, ok := remaining(r)
	return readNPYBody(r, h, g, mode, rem, ok)
}

// npyLayout is what a header's shape means for a dataset.
type npyLayout struct {
	n, d  int   // samples, dofs per sample
	grid  []int // the shape after n, reversed (x first)
	total int   // n·d values
	bytes int   // bytes of data in the file
}

// layout checks the shape of h with overflow-safe arithmetic and against the
// memory budget.
func (h *npyHeader) layout() (*npyLayout, error) {
	if len(h.shape) < 2 {
		return nil, fmt.Errorf("sample: npy shape %s: want (n, d) or (n, …, Ly, Lx)", shapeStr(h.shape))
	}
	lay := &npyLayout{n: h.shape[0]}
	if lay.n < 1 {
		return nil, fmt.Errorf("sample: npy shape %s holds no samples", shapeStr(h.shape))
	}
	for a := len(h.shape) - 1; a >= 1; a-- {
		lay.grid = append(lay.grid, h.shape[a])
	}
	var err error
	if lay.d, err = size.Mul(lay.grid...); err == nil && lay.d == 0 {
		err = errors.New("holds no degrees of freedom")
	}
	if err == nil {
		lay.total, err = size.Elements("npy data", 1, lay.n, lay.d)
	}
	if err == nil {
		lay.bytes, err = size.Mul(lay.total, h.size)
	}
	if err != nil {
		return nil, fmt.Errorf("sample: npy shape %s: %w", shapeStr(h.shape), err)
	}
	return lay, nil
}

// match checks that the shape fits geometry g and otherwise names the shapes
// that would.
func (lay *npyLayout) match(shape []int, g *lattice.Geometry) error {
	d := g.NumDOF()
	ext, full := fullGrid(g)
	switch {
	case len(shape) == 2 && shape[1] == d,
		len(shape) > 2 && full && equalInts(ext, lay.grid):
		return nil
	case len(shape) > 2 && !full:
		return fmt.Errorf("sample: npy shape %s: the geometry is not a full grid, want (%d, %d)", shapeStr(shape), lay.n, d)
	}
	want := shapeStr([]int{lay.n, d})
	if full && len(ext) > 1 {
		want = shapeStr(gridShape(lay.n, ext)) + " or " + want
	}
	return fmt.Errorf("sample: npy shape %s does not match the geometry's %d dofs: want %s", shapeStr(shape), d, want)
}

// readNPYBody reads the data that follow header h from r; if known, rem is
// the number of bytes r holds.
func readNPYBody(r io.Reader, h *npyHeader, g *lattice.Geometry, mode ValueMap, rem int64, known bool) (*Dataset, error) {
	lay, err := h.layout()
	if err != nil {
		return nil, err
	}
	if g != nil {
		err = lay.match(h.shape, g)
	} else if err = inferable(lay.grid); err != nil {
		err = fmt.Errorf("sample: npy shape %s: no geometry given and %v", shapeStr(h.shape), err)
	}
	if err != nil {
		return nil, err
	}
	if known && rem < int64(lay.bytes) {
		return nil, fmt.Errorf("sample: npy data truncated: %d of %d values present", max(rem, 0)/int64(h.size), lay.total)
	}
	data, err := h.readValues(r, lay.total, mode, known)
	if err != nil {
		return nil, err
	}
	if h.fortran {
		data = fortranToC(data, h.shape)
	}
	if g == nil {
		// Only now: the geometry costs tens of bytes per dof.
		if g, err = gridGeometry(lay.grid); err != nil {
			return nil, fmt.Errorf("sample: npy shape %s: %w", shapeStr(h.shape), err)
		}
	}
	return NewDataset(g, data)
}

// remaining returns the number of bytes left in r if r can tell.
func remaining(r io.Reader) (int64, bool) {
	switch v := r.(type) {
	case *bytes.Reader:
		return int64(v.Len()), true
	case *strings.Reader:
		return int64(v.Len()), true
	case *bytes.Buffer:
		return int64(v.Len()), true
	case *os.File:
		fi, err := v.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return 0, false
		}
		off, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, false
		}
		return fi.Size() - off, true
	}
	return 0, false
}

// readValues reads total values, decodes, checks and maps them. If present
// is false, r may hold fewer values than the header claims.
func (h *npyHeader) readValues(r io.Reader, total int, mode ValueMap, present bool) ([]int8, error) {
	// Unless the data are known to be there, the output grows as they
	// arrive, so that a header claiming a huge shape cannot force a huge
	// allocation from a short stream.
	data := make([]int8, 0, min(total, readChunk))
	if present {
		data = make([]int8, 0, total)
	}
	chunk := readChunk / h.size // values per read
	buf := make([]byte, min(total, chunk)*h.size)
	vc := valueCheck{mode: mode, h: h, neg: -1, zero: -1}
	for len(data) < total {
		k := min(total-len(data), chunk)
		b := buf[:k*h.size]
		if m, err := io.ReadFull(r, b); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("sample: npy data truncated: %d of %d values present", len(data)+m/h.size, total)
			}
			return nil, fmt.Errorf("sample: reading npy data: %w", err)
		}
		if h.kind == 'i' && h.size == 1 && mode == KeepValues {
			// int8 as is: every byte is valid.
			for _, c := range b {
				data = append(data, int8(c))
			}
			continue
		}
		for j := range k {
			v, err := h.decode(b[j*h.size : (j+1)*h.size])
			if err == nil {
				v, err = vc.check(v, len(data))
			}
			if err != nil {
				return nil, fmt.Errorf("sample: npy element %s: %v", h.position(len(data)), err)
			}
			data = append(data, v)
		}
	}
	return vc.finish(data), nil
}

// valueCheck applies a ValueMap value by value.
type valueCheck struct {
	mode      ValueMap
	h         *npyHeader
	neg, zero int // storage index of the first −1 and the first 0, or −1
}

// check checks (and for Map01 maps) value v at storage index i.
func (c *valueCheck) check(v int8, i int) (int8, error) {
	switch c.mode {
	case RequireSpins:
		if v != 1 && v != -1 {
			return 0, fmt.Errorf("value %d is not a ±1 spin (RequireSpins)", v)
		}
	case Map01:
		switch v {
		case 0:
			return -1, nil
		case 1:
			return 1, nil
		}
		return 0, fmt.Errorf("value %d is not 0 or 1 (Map01)", v)
	case MapAuto:
		first, other := &c.neg, c.zero
		switch v {
		case 1:
			return v, nil
		case 0:
			first, other = &c.zero, c.neg
		case -1:
		default:
			return 0, fmt.Errorf("value %d is neither a ±1 spin nor a 0/1 bit (MapAuto)", v)
		}
		if other >= 0 {
			return 0, fmt.Errorf("value %d, but element %s is %d: want ±1 spins or 0/1 bits throughout the file (MapAuto)", v, c.h.position(other), -1-v)
		}
		if *first < 0 {
			*first = i
		}
	}
	return v, nil
}

// finish maps 0/1 bits to ±1 spins for MapAuto once all values are known.
func (c *valueCheck) finish(data []int8) []int8 {
	if c.mode == MapAuto && c.zero >= 0 {
		for i, v := range data {
			if v == 0 {
				data[i] = -1
			}
		}
	}
	return data
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func shapeStr(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	if len(s) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// inferable checks that a grid with extents ext (x first) may be inferred
// from a shape.
func inferable(ext []int) error {
	for _, e := range ext {
		if e < 2 {
			return fmt.Errorf("extent %d is too small to infer a lattice", e)
		}
	}
	return nil
}

// fortranToC reorders values stored with the first index fastest into C
// (row-major, last index fastest) order.
func fortranToC(src []int8, shape []int) []int8 {
	dst := make([]int8, len(src))
	k := len(shape)
	fstride := make([]int, k)
	s := 1
	for a := range k {
		fstride[a] = s
		s *= shape[a]
	}
	idx := make([]int, k)
	f := 0
	for c := range dst {
		dst[c] = src[f]
		// Increment the C-order multi-index (last axis fastest).
		for a := k - 1; a >= 0; a-- {
			idx[a]++
			f += fstride[a]
			if idx[a] < shape[a] {
				break
			}
			f -= idx[a] * fstride[a]
			idx[a] = 0
		}
	}
	return dst
}

// npyHeader is a parsed .npy header.
type npyHeader struct {
	kind    byte // 'b', 'i', 'u', 'f'
	size    int  // bytes per value
	big     bool // big-endian
	fortran bool
	shape   []int
	length  int // bytes of the preamble and header, where the data start
}

// position formats the multi-index of the value at storage offset i.
func (h *npyHeader) position(i int) string {
	k := len(h.shape)
	idx := make([]int, k)
	if h.fortran {
		for a := 0; a < k; a++ {
			idx[a] = i % h.shape[a]
			i /= h.shape[a]
		}
	} else {
		for a := k - 1; a >= 0; a-- {
			idx[a] = i % h.shape[a]
			i /= h.shape[a]
		}
	}
	parts := make([]string, k)
	for a, v := range idx {
		parts[a] = strconv.Itoa(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// decode converts one stored value to int8.
func (h *npyHeader) decode(b []byte) (int8, error) {
	var bits uint64
	if h.big {
		for _, c := range b {
			bits = bits<<8 | uint64(c)
		}
	} else {
		for j := len(b) - 1; j >= 0; j-- {
			bits = bits<<8 | uint64(b[j])
		}
	}
	switch h.kind {
	case 'b':
		if bits > 1 {
			return 0, fmt.Errorf("bool byte %d is neither 0 nor 1", bits)
		}
		return int8(bits), nil
	case 'u':
		if bits > math.MaxInt8 {
			return 0, fmt.Errorf("value %d is outside the int8 range", bits)
		}
		return int8(bits), nil
	case 'i':
		shift := 64 - 8*uint(h.size)
		v := int64(bits<<shift) >> shift // sign-extend
		if v < math.MinInt8 || v > math.MaxInt8 {
			return 0, fmt.Errorf("value %d is outside the int8 range", v)
		}
		return int8(v), nil
	case 'f':
		var v float64
		if h.size == 4 {
			v = float64(math.Float32frombits(uint32(bits)))
		} else {
			v = math.Float64frombits(bits)
		}
		switch {
		case math.IsNaN(v):
			return 0, errors.New("value is NaN")
		case v != math.Trunc(v):
			return 0, fmt.Errorf("value %g is not an integer", v)
		case v < math.MinInt8 || v > math.MaxInt8:
			return 0, fmt.Errorf("value %g is outside the int8 range", v)
		}
		return int8(v), nil
	}
	panic("sample: unreachable npy kind")
}

// readNPYHeader reads and parses the preamble and header dict.
func readNPYHeader(r io.Reader) (*npyHeader, error) {
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return nil, fmt.Errorf("sample: npy: reading magic: %w", err)
	}
	if string(pre[:6]) != npyMagic {
		return nil, fmt.Errorf("sample: npy: bad magic %q, not a .npy file", pre[:6])
	}
	major, minor := pre[6], pre[7]
	var hlen int
	switch major {
	case 1:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return nil, fmt.Errorf("sample: npy: reading header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint16(pre[8:10]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("sample: npy: reading header length: %w", err)
		}
		l := binary.LittleEndian.Uint32(b[:])
		if l > maxNPYHeader {
			return nil, fmt.Errorf("sample: npy: header length %d exceeds %d", l, maxNPYHeader)
		}
		hlen = int(l)
	default:
		return nil, fmt.Errorf("sample: npy: unsupported format version %d.%d", major, minor)
	}
	// Read the header as it arrives rather than allocating the length the
	// file claims.
	hdr, err := io.ReadAll(io.LimitReader(r, int64(hlen)))
	if err == nil && len(hdr) < hlen {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, fmt.Errorf("sample: npy: header truncated: %w", err)
	}
	h, err := parseNPYDict(string(hdr))
	if err != nil {
		return nil, fmt.Errorf("sample: npy: header %q: %v", truncate(string(hdr), 120), err)
	}
	h.length = len(npyMagic) + 2 + 2 + hlen
	if major > 1 {
		h.length += 2
	}
	return h, nil
}

func truncate(s string, n int) string {
	s = strings.TrimRight(s, " \n")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// dictParser parses the Python dict literal of a .npy header.
type dictParser struct {
	s string
	i int
}

func (p *dictParser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *dictParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *dictParser) expect(c byte) error {
	p.ws()
	if p.peek() != c {
		return fmt.Errorf("expected %q at offset %d", c, p.i)
	}
	p.i++
	return nil
}

func (p *dictParser) str() (string, error) {
	p.ws()
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", fmt.Errorf("expected a string at offset %d", p.i)
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", fmt.Errorf("escape sequences in string %q are not supported", v)
	}
	p.i += end + 2
	return v, nil
}

// value returns the text of a scalar value as written: up to the next ',',
// '}' or end of line, trimmed (a quoted string is taken whole).
func (p *dictParser) value() string {
	p.ws()
	j := p.i
	if q := p.peek(); q == '\'' || q == '"' {
		if end := strings.IndexByte(p.s[p.i+1:], q); end >= 0 {
			p.i += end + 2
			return p.s[j:p.i]
		}
	}
	for p.i < len(p.s) && !strings.ContainsRune(",}\n", rune(p.s[p.i])) {
		p.i++
	}
	return strings.TrimSpace(p.s[j:p.i])
}

// tuple parses a Python tuple of non-negative integers: (), (a,), (a, b[,]).
func (p *dictParser) tuple() ([]int, error) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	out := []int{}
	comma := false // whether the last dimension was followed by a comma
	for {
		p.ws()
		if p.peek() == ')' {
			p.i++
			if len(out) == 1 && !comma {
				return nil, errors.New("shape (k) is not a tuple, want (k,)")
			}
			return out, nil
		}
		j := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if j == p.i {
			return nil, fmt.Errorf("expected a dimension at offset %d", p.i)
		}
		v, err := strconv.Atoi(p.s[j:p.i])
		if err != nil || int64(v) > 1<<40 {
			return nil, fmt.Errorf("dimension %q out of range", p.s[j:p.i])
		}
		if p.peek() == 'L' { // Python 2 long suffix
			p.i++
		}
		out = append(out, v)
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
			comma = true
		case ')':
			comma = false
		default:
			return nil, fmt.Errorf("expected ',' or ')' at offset %d", p.i)
		}
	}
}

func parseNPYDict(s string) (*npyHeader, error) {
	p := &dictParser{s: s}
	if err := p.expect('{'); err != nil {
		return nil, err
	}
	h := &npyHeader{}
	seen := map[string]bool{}
	for {
		p.ws()
		if p.peek() == '}' {
			p.i++
			break
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		if err := p.expect(':'); err != nil {
			return nil, err
		}
		switch key {
		case "descr":
			p.ws()
			if c := p.peek(); c == '[' || c == '(' {
				return nil, errors.New("structured dtypes are not supported")
			}
			d, err := p.str()
			if err != nil {
				return nil, err
			}
			if err := h.setDescr(d); err != nil {
				return nil, err
			}
		case "fortran_order":
			switch v := p.value(); v {
			case "True":
				h.fortran = true
			case "False":
			case "":
				return nil, errors.New("fortran_order has no value")
			default:
				return nil, fmt.Errorf("fortran_order %s is not True or False", truncate(v, 40))
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unexpected key %q", key)
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
		case '}':
		default:
			return nil, fmt.Errorf("expected ',' or '}' at offset %d", p.i)
		}
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected text after the dict at offset %d", p.i)
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return nil, fmt.Errorf("missing key %q", k)
		}
	}
	return h, nil
}

// setDescr parses a simple dtype string such as '<i8', '|i1', '>f4', '|b1'.
func (h *npyHeader) setDescr(d string) error {
	bad := fmt.Errorf("unsupported dtype %q: want a bool, integer or float32/64 dtype", d)
	if len(d) < 3 {
		return bad
	}
	switch d[0] {
	case '<', '|', '=':
	case '>':
		h.big = true
	default:
		return bad
	}
	h.kind = d[1]
	size, err := strconv.Atoi(d[2:])
	if err != nil {
		return bad
	}
	h.size = size
	switch {
	case h.kind == 'b' && size == 1,
		(h.kind == 'i' || h.kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8),
		h.kind == 'f' && (size == 4 || size == 8):
		return nil
	}
	return bad
}

// geometryJSON is the sidecar format. Full grids are stored compactly as
// {"version":1,"extents":[Lx,Ly],"grid":true}; other geometries list the
// coordinates of every dof in order.
type geometryJSON struct {
	Version int     `json:"version"`
	Extents []int   `json:"extents"`
	Grid    bool    `json:"grid,omitempty"`
	Coords  [][]int `json:"coords,omitempty"`
	Kinds   []int   `json:"kinds,omitempty"`
}

// WriteGeometry writes g as JSON:
//
//	{"version":1,"extents":[Lx,Ly,…],"grid":true}
//
// when g is a full grid in x-fastest order (see WriteNPY), otherwise
//
//	{"version":1,"extents":[…],"coords":[[x,y,…],…]}
//
// with one coordinate row per dof, in dof order, and "kinds":[…] if the
// dofs carry kinds (lattice.Geometry.WithKinds).
func WriteGeometry(w io.Writer, g *lattice.Geometry) error {
	if g == nil {
		return errors.New("sample: WriteGeometry of a nil geometry")
	}
	gj := geometryJSON{Version: 1, Extents: g.Extents()}
	if _, ok := fullGrid(g); ok && g.Kinds() == nil {
		gj.Grid = true
	} else {
		gj.Coords = g.Coords()
		gj.Kinds = g.Kinds()
	}
	b, err := json.Marshal(gj)
	if err != nil {
		return fmt.Errorf("sample: encoding geometry: %w", err)
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("sample: writing geometry: %w", err)
	}
	return nil
}

// ReadGeometry reads a geometry written by WriteGeometry. r must hold one
// JSON value (with optional white space around it) and nothing else. A
// geometry whose arrays would exceed the memory budget (see ReadNPYWith) is
// refused before it is built.
func ReadGeometry(r io.Reader) (*lattice.Geometry, error) {
	gj, err := decodeGeometry(r)
	if err != nil {
		return nil, err
	}
	return gj.build()
}

// decodeGeometry decodes and checks sidecar JSON without building the
// geometry (what it allocates is proportional to the input).
func decodeGeometry(r io.Reader) (*geometryJSON, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var gj geometryJSON
	if err := dec.Decode(&gj); err != nil {
		return nil, fmt.Errorf("sample: decoding geometry JSON: %w", err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = fmt.Errorf("%v", tok)
		}
		return nil, fmt.Errorf("sample: unexpected data after the geometry JSON: %v", err)
	}
	if gj.Version != 1 {
		return nil, fmt.Errorf("sample: geometry JSON version %d, want 1", gj.Version)
	}
	if gj.Grid == (gj.Coords != nil) {
		return nil, errors.New(`sample: geometry JSON needs exactly one of "grid": true and "coords"`)
	}
	return &gj, nil
}

// numDOF returns the number of dofs the sidecar describes.
func (gj *geometryJSON) numDOF() (int, error) {
	if !gj.Grid {
		return len(gj.Coords), nil
	}
	n, err := size.Mul(gj.Extents...)
	if err != nil {
		return 0, fmt.Errorf("sample: geometry JSON: extents: %w", err)
	}
	return n, nil
}

// build builds the geometry after checking its size against the budget.
func (gj *geometryJSON) build() (g *lattice.Geometry, err error) {
	if gj.Grid {
		g, err = gridGeometry(gj.Extents)
	} else if _, err = size.Elements(fmt.Sprintf("geometry box %v", gj.Extents), 4, gj.Extents...); err == nil {
		// the box's index holds one int32 per cell, however few dofs
		g, err = lattice.NewGeometry(gj.Extents, gj.Coords)
		if err == nil && gj.Kinds != nil {
			g, err = g.WithKinds(gj.Kinds)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sample: geometry JSON: %w", err)
	}
	return g, nil
}

// GeometrySuffix is appended to a dataset's path to name its geometry
// sidecar file.
const GeometrySuffix = ".geom.json"

// SaveDataset writes ds to path as a .npy file (see WriteNPY) and its
// geometry to path+".geom.json" (see WriteGeometry). Each file is written
// atomically: to a temporary file ".NAME.tmpNNN" in the same directory,
// synced, then renamed over its name, so a reader never sees a half-written
// file; temporaries that an earlier, killed SaveDataset of the same path left
// behind are removed.
func SaveDataset(path string, ds *Dataset) error {
	if err := ds.check(); err != nil {
		return err
	}
	if err := writeFileAtomic(path+GeometrySuffix, func(w io.Writer) error { return WriteGeometry(w, ds.Geom) }); err != nil {
		return err
	}
	return writeFileAtomic(path, ds.WriteNPY)
}

// writeFileAtomic is ckpt.WriteAtomic with errors prefixed by the package
// name (write's own errors are returned as they are).
func writeFileAtomic(path string, write func(io.Writer) error) error {
	var werr error
	err := ckpt.WriteAtomic(path, func(w io.Writer) error { werr = write(w); return werr })
	if err != nil && err != werr {
		err = fmt.Errorf("sample: %w", err)
	}
	return err
}

// LoadDataset reads a dataset saved by SaveDataset (or any .npy file); it is
// LoadDatasetWith with no options: values are kept as they are.
func LoadDataset(path string) (*Dataset, error) {
	return LoadDatasetWith(path, nil)
}

// LoadDatasetWith reads a dataset saved by SaveDataset (or any .npy file, see
// ReadNPYWith, which also describes opt). The geometry comes from
// path+".geom.json" if that file exists; otherwise it is inferred from the
// array's shape as ReadNPYWith does for a nil geometry: (n, L) is a chain,
// (n, L, L) a square and (n, L, L, L) a cubic lattice (generally
// (n, …, Ly, Lx) a grid). Errors name the file.
//
// The .npy header is read first and the file's size checked against its
// shape; only then is the sidecar read, its number of dofs compared with the
// shape, and its geometry built — so neither a short file nor a small
// sidecar can make it allocate what their data do not back.
func LoadDatasetWith(path string, opt *ReadOptions) (*Dataset, error) {
	mode, err := opt.values()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, readChunk)
	h, err := readNPYHeader(br)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	lay, err := h.layout()
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	var rem int64
	fi, err := f.Stat()
	known := err == nil && fi.Mode().IsRegular()
	if known {
		if rem = fi.Size() - int64(h.length); rem < int64(lay.bytes) {
			return nil, fmt.Errorf("sample: npy data truncated: %d of %d values present (in %s)", max(rem, 0)/int64(h.size), lay.total, path)
		}
	}
	g, err := loadSidecar(path+GeometrySuffix, h.shape, lay.d)
	if err != nil {
		return nil, err
	}
	ds, err := readNPYBody(br, h, g, mode, rem, known)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return ds, nil
}

// loadSidecar reads the geometry sidecar at path for data of the given
// shape, d dofs per sample: nil if there is none. The geometry is built only
// once its number of dofs is known to be d.
func loadSidecar(path string, shape []int, d int) (*lattice.Geometry, error) {
	f, err := os.Open(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("sample: %w", err)
	}
	defer f.Close()
	gj, err := decodeGeometry(bufio.NewReader(f))
	if err == nil {
		var n int
		if n, err = gj.numDOF(); err == nil && n != d {
			err = fmt.Errorf("sample: the geometry has %d dofs but the npy shape %s holds %d per sample", n, shapeStr(shape), d)
		}
	}
	var g *lattice.Geometry
	if err == nil {
		g, err = gj.build()
	}
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return g, nil
}
