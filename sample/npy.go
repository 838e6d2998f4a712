package sample

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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
	// readChunk is the number of values decoded per read.
	readChunk = 1 << 16
	// maxGridDOF bounds the size of a grid geometry built from a shape or
	// from the compact sidecar form (2048×2048, 128³).
	maxGridDOF = 1 << 22
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

// gridGeometry returns the full-grid geometry with the given extents, dofs in
// x-fastest order.
func gridGeometry(ext []int) (*lattice.Geometry, error) {
	cells := 1
	for a, e := range ext {
		if e < 1 {
			return nil, fmt.Errorf("extent %d along axis %d is not positive", e, a)
		}
		if cells > maxGridDOF/e {
			return nil, fmt.Errorf("grid %v is too large", ext)
		}
		cells *= e
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

// npyShape returns the NumPy shape WriteNPY uses for ds.
func (ds *Dataset) npyShape() []int {
	if ext, ok := fullGrid(ds.Geom); ok && len(ext) > 1 {
		shape := []int{ds.N}
		for a := len(ext) - 1; a >= 0; a-- {
			shape = append(shape, ext[a])
		}
		return shape
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

// check validates the dataset's internal consistency.
func (ds *Dataset) check() error {
	switch {
	case ds == nil:
		return errors.New("sample: nil dataset")
	case ds.Geom == nil:
		return errors.New("sample: dataset has no geometry")
	case ds.D != ds.Geom.NumDOF():
		return fmt.Errorf("sample: dataset has %d dofs per sample but its geometry has %d", ds.D, ds.Geom.NumDOF())
	case ds.N < 1 || len(ds.Data) != ds.N*ds.D:
		return fmt.Errorf("sample: dataset of %d×%d holds %d values", ds.N, ds.D, len(ds.Data))
	}
	return nil
}

// ReadOptions modifies how ReadNPYWith converts values.
type ReadOptions struct {
	// Map01 maps 0 to −1 and 1 to +1 (and bool False/True likewise); any
	// other value is then an error. Use it for occupation-number or
	// bit data that should become ±1 spins.
	Map01 bool
}

// ReadNPY reads a NumPy .npy array as a Dataset with geometry g; it is
// ReadNPYWith with no options: values are kept as they are.
func ReadNPY(r io.Reader, g *lattice.Geometry) (*Dataset, error) {
	return ReadNPYWith(r, g, ReadOptions{})
}

// ReadNPYWith reads a NumPy .npy array (format versions 1, 2 and 3) as a
// Dataset with geometry g.
//
// Accepted dtypes: int8 and every other integer type (i1…i8, u1…u8), bool
// (b1) and float (f4, f8), little- or big-endian ('=' is taken as
// little-endian), in C or Fortran order. Values are kept as they are — so
// ±1 spins stay ±1, 0/1 data stay 0/1 unless opt.Map01 maps them to ∓1, bool
// reads as 0/1 — and must be integers in the int8 range; a float NaN, a
// non-integral or an out-of-range value is an error naming its position.
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
// unread. Errors name what is wrong: magic, version, header syntax, dtype,
// shape versus geometry, truncated data, or the first bad value.
func ReadNPYWith(r io.Reader, g *lattice.Geometry, opt ReadOptions) (*Dataset, error) {
	h, err := readNPYHeader(r)
	if err != nil {
		return nil, err
	}
	if len(h.shape) < 2 {
		return nil, fmt.Errorf("sample: npy shape %s: want (n, d) or (n, …, Ly, Lx)", shapeStr(h.shape))
	}
	n := h.shape[0]
	if n < 1 {
		return nil, fmt.Errorf("sample: npy shape %s holds no samples", shapeStr(h.shape))
	}
	grid := make([]int, 0, len(h.shape)-1)
	for a := len(h.shape) - 1; a >= 1; a-- {
		grid = append(grid, h.shape[a])
	}
	if g == nil {
		if g, err = inferGeometry(grid); err != nil {
			return nil, fmt.Errorf("sample: npy shape %s: no geometry given and %v", shapeStr(h.shape), err)
		}
	}
	d := g.NumDOF()
	if len(h.shape) == 2 {
		if h.shape[1] != d {
			return nil, fmt.Errorf("sample: npy shape %s does not match the geometry's %d dofs", shapeStr(h.shape), d)
		}
	} else {
		ext, ok := fullGrid(g)
		if !ok {
			return nil, fmt.Errorf("sample: npy shape %s: the geometry is not a full grid, want (n, %d)", shapeStr(h.shape), d)
		}
		if !equalInts(ext, grid) {
			want := []int{n}
			for a := len(ext) - 1; a >= 0; a-- {
				want = append(want, ext[a])
			}
			return nil, fmt.Errorf("sample: npy shape %s does not match the geometry's grid: want %s or (%d, %d)", shapeStr(h.shape), shapeStr(want), n, d)
		}
	}
	total, ok := mulInt(n, d)
	if !ok || total > math.MaxInt/8 {
		return nil, fmt.Errorf("sample: npy shape %s is too large", shapeStr(h.shape))
	}

	// Decode in chunks, growing the output as data arrives, so that a header
	// claiming a huge shape cannot force a huge allocation.
	data := make([]int8, 0, min(total, 1<<20))
	buf := make([]byte, min(total, readChunk)*h.size)
	for len(data) < total {
		k := min(total-len(data), readChunk)
		b := buf[:k*h.size]
		if m, err := io.ReadFull(r, b); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("sample: npy data truncated: %d of %d values present", len(data)+m/h.size, total)
			}
			return nil, fmt.Errorf("sample: reading npy data: %w", err)
		}
		if h.kind == 'i' && h.size == 1 && !opt.Map01 {
			// int8 as is: every byte is valid.
			for _, c := range b {
				data = append(data, int8(c))
			}
			continue
		}
		for j := 0; j < k; j++ {
			v, err := h.decode(b[j*h.size : (j+1)*h.size])
			if err == nil && opt.Map01 {
				switch v {
				case 0:
					v = -1
				case 1:
				default:
					err = fmt.Errorf("value %d is not 0 or 1 (Map01)", v)
				}
			}
			if err != nil {
				return nil, fmt.Errorf("sample: npy element %s: %v", h.position(len(data)), err)
			}
			data = append(data, v)
		}
	}
	if h.fortran {
		data = fortranToC(data, h.shape)
	}
	return NewDataset(g, data)
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

// inferGeometry returns the full-grid geometry with extents ext (x first).
func inferGeometry(ext []int) (*lattice.Geometry, error) {
	for _, e := range ext {
		if e < 2 {
			return nil, fmt.Errorf("extent %d is too small to infer a lattice", e)
		}
	}
	return gridGeometry(ext)
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
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("sample: npy: header truncated: %w", err)
	}
	h, err := parseNPYDict(string(hdr))
	if err != nil {
		return nil, fmt.Errorf("sample: npy: header %q: %v", truncate(string(hdr), 120), err)
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

func (p *dictParser) ident() string {
	p.ws()
	j := p.i
	for p.i < len(p.s) && (p.s[p.i] >= 'A' && p.s[p.i] <= 'Z' || p.s[p.i] >= 'a' && p.s[p.i] <= 'z') {
		p.i++
	}
	return p.s[j:p.i]
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
		if err != nil || v > 1<<40 {
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
			switch id := p.ident(); id {
			case "True":
				h.fortran = true
			case "False":
			default:
				return nil, fmt.Errorf("fortran_order %q is not True or False", id)
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

// ReadGeometry reads a geometry written by WriteGeometry.
func ReadGeometry(r io.Reader) (*lattice.Geometry, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var gj geometryJSON
	if err := dec.Decode(&gj); err != nil {
		return nil, fmt.Errorf("sample: decoding geometry JSON: %w", err)
	}
	if gj.Version != 1 {
		return nil, fmt.Errorf("sample: geometry JSON version %d, want 1", gj.Version)
	}
	if gj.Grid == (gj.Coords != nil) {
		return nil, errors.New(`sample: geometry JSON needs exactly one of "grid": true and "coords"`)
	}
	var (
		g   *lattice.Geometry
		err error
	)
	if gj.Grid {
		g, err = gridGeometry(gj.Extents)
	} else {
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
// atomically: to a temporary file in the same directory, synced, then renamed
// over path, so a reader never sees a half-written file.
func SaveDataset(path string, ds *Dataset) error {
	if err := ds.check(); err != nil {
		return err
	}
	if err := writeFileAtomic(path+GeometrySuffix, func(w io.Writer) error { return WriteGeometry(w, ds.Geom) }); err != nil {
		return err
	}
	return writeFileAtomic(path, ds.WriteNPY)
}

// LoadDataset reads a dataset saved by SaveDataset (or any .npy file, see
// ReadNPYWith). The geometry comes from path+".geom.json" if that file
// exists; otherwise it is inferred from the array's shape as ReadNPY does for
// a nil geometry: (n, L) is a chain, (n, L, L) a square and (n, L, L, L) a
// cubic lattice (generally (n, …, Ly, Lx) a grid).
func LoadDataset(path string) (*Dataset, error) {
	var g *lattice.Geometry
	gf, err := os.Open(path + GeometrySuffix)
	switch {
	case err == nil:
		g, err = ReadGeometry(bufio.NewReader(gf))
		gf.Close()
		if err != nil {
			return nil, fmt.Errorf("%w (in %s)", err, path+GeometrySuffix)
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("sample: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	defer f.Close()
	ds, err := ReadNPY(bufio.NewReaderSize(f, 1<<16), g)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return ds, nil
}

// writeFileAtomic writes a file through a synced temporary file and a rename.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("sample: %w", err)
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
		return fmt.Errorf("sample: writing %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("sample: syncing %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("sample: closing %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("sample: %w", err)
	}
	// Make the rename durable; not every platform can sync a directory.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
