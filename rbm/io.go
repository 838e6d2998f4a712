package rbm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Binary file format, version 1 (all integers little-endian):
//
//	magic    "RBMGO\x00" (6 bytes)
//	version  uint16 = 1
//	units    uint8 (0 Binary, 1 Spin)
//	nv, nh   uint32, uint32
//	W        nv·nh float64, row-major
//	VisBias  nv float64
//	HidBias  nh float64
//	crc      uint32, CRC-32 (IEEE) of everything before it
const (
	formatMagic   = "RBMGO\x00"
	formatVersion = 1
	headerLen     = len(formatMagic) + 2 + 1 + 4 + 4
)

// WriteTo writes r to w in the versioned binary format described in the
// package source (io.go) and returns the number of bytes written.
func (r *RBM) WriteTo(w io.Writer) (int64, error) {
	nv, nh := r.NumVisible(), r.NumHidden()
	buf := make([]byte, 0, headerLen+8*(nv*nh+nv+nh)+4)
	buf = append(buf, formatMagic...)
	buf = binary.LittleEndian.AppendUint16(buf, formatVersion)
	buf = append(buf, byte(r.units))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(nv))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(nh))
	for i := range nv {
		for j := range nh {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(r.W.At(i, j)))
		}
	}
	for _, s := range [][]float64{r.VisBias, r.HidBias} {
		for _, x := range s {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x))
		}
	}
	buf = binary.LittleEndian.AppendUint32(buf, crc32.ChecksumIEEE(buf))
	n, err := w.Write(buf)
	return int64(n), err
}

// maxParams bounds the parameter count accepted by New, NewFrom, Read,
// NewCategorical and NewCategoricalFrom (2^28 float64 = 2 GiB; see
// checkSizes).
const maxParams = 1 << 28

// Read reads an RBM written by WriteTo. It returns an error if the input is
// not an RBM file, has another format version, is truncated, or fails its
// checksum. It reads exactly the bytes of one RBM.
func Read(rd io.Reader) (*RBM, error) {
	hdr := make([]byte, headerLen)
	if _, err := io.ReadFull(rd, hdr); err != nil {
		return nil, readErr(err)
	}
	if !bytes.Equal(hdr[:len(formatMagic)], []byte(formatMagic)) {
		return nil, errors.New("rbm: input is not an RBM file (bad magic)")
	}
	p := len(formatMagic)
	if v := binary.LittleEndian.Uint16(hdr[p:]); v != formatVersion {
		return nil, fmt.Errorf("rbm: RBM file format version %d, this package reads version %d", v, formatVersion)
	}
	units := Units(hdr[p+2])
	nv := int(binary.LittleEndian.Uint32(hdr[p+3:]))
	nh := int(binary.LittleEndian.Uint32(hdr[p+7:]))
	if !units.valid() {
		return nil, fmt.Errorf("rbm: RBM file has unknown units %d", int(units))
	}
	if err := checkSizes(nv, nh, 1); err != nil {
		return nil, fmt.Errorf("rbm: RBM file has implausible sizes %d×%d (%s)", nv, nh, err.Error()[len("rbm: "):])
	}
	np := nv*nh + nv + nh
	// grow the buffer as data arrives: a truncated file claiming huge sizes
	// does not allocate them
	var bb bytes.Buffer
	if _, err := io.CopyN(&bb, rd, int64(8*np+4)); err != nil {
		return nil, readErr(err)
	}
	body := bb.Bytes()
	crc := crc32.Update(crc32.ChecksumIEEE(hdr), crc32.IEEETable, body[:8*np])
	if got := binary.LittleEndian.Uint32(body[8*np:]); got != crc {
		return nil, fmt.Errorf("rbm: RBM file checksum mismatch (stored %08x, computed %08x): the file is corrupt", got, crc)
	}
	vals := make([]float64, np)
	for k := range vals {
		vals[k] = math.Float64frombits(binary.LittleEndian.Uint64(body[8*k:]))
	}
	return &RBM{
		W:       mat.NewDense(nv, nh, vals[:nv*nh:nv*nh]),
		VisBias: vals[nv*nh : nv*nh+nv : nv*nh+nv],
		HidBias: vals[nv*nh+nv:],
		units:   units,
	}, nil
}

func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("rbm: truncated RBM file: %w", io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("rbm: reading RBM: %w", err)
}
