package chipimage

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"strconv"
)

// MaxFileSize bounds the files ReadFile reads (64 GiB): far above any image a
// target's limits allow in practice, and a guard against reading a device.
const MaxFileSize = 1 << 36

// sectionOffsets records where each section began in a decoded file, so that
// validation errors can name the byte offset at fault. The zero value means the
// image was built in memory.
type sectionOffsets struct {
	decoded          bool
	head, arith, net int64
	inputs, outputs  int64
	cores, routers   []int64
}

// Error is a problem with an image: where it is (the section, by tag and the offset
// of its section header, and the offset of the field at fault when known) and what
// is wrong.
type Error struct {
	File    string // the file, when read by ReadFile
	Section string // "HEAD", "CORE 17", ...; empty for the file header
	Offset  int64  // byte offset of the field at fault, or -1
	Msg     string
}

func (e *Error) Error() string {
	var b bytes.Buffer
	b.WriteString("chipimage: ")
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if e.Section != "" {
		b.WriteString(e.Section)
		b.WriteString(": ")
	}
	if e.Offset >= 0 {
		b.WriteString("offset ")
		b.WriteString(strconv.FormatInt(e.Offset, 10))
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ReadFile reads and validates an image file. The decoded image aliases the file's
// bytes.
func ReadFile(path string) (*Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("chipimage: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("chipimage: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("chipimage: %s: not a regular file", path)
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("chipimage: %s: %d bytes, more than the %d an image may have", path, st.Size(), int64(MaxFileSize))
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("chipimage: %s: %w", path, err)
	}
	img, err := Decode(data)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.File = path
		}
		return nil, err
	}
	return img, nil
}

// Decode reads and validates an image. It treats data as hostile: every length is
// checked against the bytes present before anything is allocated, every checksum is
// verified, and the decoded image passes Validate. The image's synapse memories alias
// data, which must not change afterwards. Errors are *Error.
func Decode(data []byte) (*Image, error) {
	d := &decoder{data: data}
	img, err := d.decode()
	if err != nil {
		return nil, err
	}
	if err := img.Validate(); err != nil {
		return nil, err
	}
	return img, nil
}

type decoder struct {
	data []byte
	img  *Image
}

// section is one framed section: its tag, the offset of its header and its payload.
type section struct {
	tag string
	off int64
	p   []byte
}

func (s *section) errf(rel int, format string, args ...any) error {
	off := int64(-1)
	if rel >= 0 {
		off = s.off + sectionHeaderSize + int64(rel)
	}
	return &Error{Section: fmt.Sprintf("section %s at offset %d", s.tag, s.off), Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func fileErr(off int64, format string, args ...any) error {
	return &Error{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// frame checks the file header, walks the sections and checks every length and CRC.
func (d *decoder) frame() ([]section, error) {
	data := d.data
	n := int64(len(data))
	if n < fileHeaderSize+trailerSize {
		return nil, fileErr(0, "%d bytes: too short for an image (at least %d)", n, fileHeaderSize+trailerSize)
	}
	if string(data[:8]) != magic {
		return nil, fileErr(0, "magic %q: not an snnc image (want %q)", data[:8], magic)
	}
	if v := le.Uint32(data[8:]); v != Version {
		return nil, fileErr(8, "version %d: this reader knows version %d only", v, Version)
	}
	count := uint64(le.Uint32(data[12:]))
	if fl := le.Uint64(data[16:]); fl != uint64(n) {
		return nil, fileErr(16, "file length field %d, but the file has %d bytes (truncated or padded)", fl, n)
	}
	end := n - trailerSize
	if max := uint64(end-fileHeaderSize) / sectionHeaderSize; count > max {
		return nil, fileErr(12, "section count %d: the file has room for at most %d", count, max)
	}
	if count < 5 {
		return nil, fileErr(12, "section count %d: an image has at least 5 sections (HEAD, ARIT, NETW, INPT, OUTP)", count)
	}
	secs := make([]section, 0, count)
	off := int64(fileHeaderSize)
	for i := uint64(0); i < count; i++ {
		if end-off < sectionHeaderSize {
			return nil, fileErr(off, "section %d: header does not fit before the file checksum", i)
		}
		tag := string(data[off : off+4])
		length := le.Uint64(data[off+4:])
		want := expectedTag(i)
		if tag != want && !(i >= 5 && (tag == tagCore || tag == tagRouter)) {
			return nil, fileErr(off, "section %d: tag %q, want %q", i, tag, want)
		}
		left := uint64(end - off - sectionHeaderSize)
		if length > left {
			return nil, fileErr(off+4, "section %s: length %d exceeds the %d bytes left", tag, length, left)
		}
		p := data[off+sectionHeaderSize : off+sectionHeaderSize+int64(length)]
		if c, want := crc32.ChecksumIEEE(p), le.Uint32(data[off+12:]); c != want {
			return nil, fileErr(off+12, "section %s: CRC32 of the payload is %08x, the header says %08x", tag, c, want)
		}
		secs = append(secs, section{tag: tag, off: off, p: p})
		off += sectionHeaderSize + int64(length)
	}
	if off != end {
		return nil, fileErr(off, "%d unexpected bytes after the last section", end-off)
	}
	if c, want := crc32.ChecksumIEEE(data[:end]), le.Uint32(data[end:]); c != want {
		return nil, fileErr(end, "file CRC32 is %08x, the trailer says %08x", c, want)
	}
	return secs, nil
}

func expectedTag(i uint64) string {
	switch i {
	case 0:
		return tagHead
	case 1:
		return tagArith
	case 2:
		return tagNet
	case 3:
		return tagInputs
	case 4:
		return tagOutput
	}
	return tagCore
}

// reader reads fixed-width fields of one section's payload.
type reader struct {
	p   []byte
	pos int
}

func (r *reader) u8() uint8   { v := r.p[r.pos]; r.pos++; return v }
func (r *reader) u32() uint32 { v := le.Uint32(r.p[r.pos:]); r.pos += 4; return v }
func (r *reader) u64() uint64 { v := le.Uint64(r.p[r.pos:]); r.pos += 8; return v }
func (r *reader) i32() int    { return int(int32(r.u32())) }
func (r *reader) i64() int64  { return int64(r.u64()) }
func (r *reader) n32() int    { return int(r.u32()) }

func (d *decoder) decode() (*Image, error) {
	secs, err := d.frame()
	if err != nil {
		return nil, err
	}
	img := &Image{}
	d.img = img
	img.off.decoded = true
	nCores, nRouters, err := d.head(&secs[0])
	if err != nil {
		return nil, err
	}
	h := &img.Header
	if got := len(secs) - 5; got != nCores+nRouters {
		return nil, secs[0].errf(140, "%d cores and %d routing tables, but the file has %d such sections", nCores, nRouters, got)
	}
	for i := 5; i < 5+nCores; i++ {
		if secs[i].tag != tagCore {
			return nil, fileErr(secs[i].off, "section %d: tag %q, want CORE (HEAD says %d cores)", i, secs[i].tag, nCores)
		}
	}
	for i := 5 + nCores; i < len(secs); i++ {
		if secs[i].tag != tagRouter {
			return nil, fileErr(secs[i].off, "section %d: tag %q, want ROUT (HEAD says %d cores and %d routing tables)", i, secs[i].tag, nCores, nRouters)
		}
	}
	if err := d.arith(&secs[1]); err != nil {
		return nil, err
	}
	if err := d.net(&secs[2]); err != nil {
		return nil, err
	}
	if err := d.inputs(&secs[3], h.NIn); err != nil {
		return nil, err
	}
	if err := d.outputs(&secs[4], h.NOut); err != nil {
		return nil, err
	}
	img.Cores = make([]Core, nCores)
	img.off.cores = make([]int64, nCores)
	for k := range img.Cores {
		s := &secs[5+k]
		img.off.cores[k] = s.off
		if err := d.core(s, &img.Cores[k]); err != nil {
			return nil, err
		}
	}
	img.Routers = make([]Router, nRouters)
	img.off.routers = make([]int64, nRouters)
	for k := range img.Routers {
		s := &secs[5+nCores+k]
		img.off.routers[k] = s.off
		if err := d.router(s, &img.Routers[k]); err != nil {
			return nil, err
		}
	}
	return img, nil
}

func wantLen(s *section, n uint64, what string) error {
	if uint64(len(s.p)) != n {
		return s.errf(-1, "payload of %d bytes, want %d (%s)", len(s.p), n, what)
	}
	return nil
}

// head decodes HEAD and returns the numbers of CORE and ROUT sections it announces.
func (d *decoder) head(s *section) (nCores, nRouters int, err error) {
	img := d.img
	img.off.head = s.off
	if err := wantLen(s, headSize, "the fixed header"); err != nil {
		return 0, 0, err
	}
	r := &reader{p: s.p}
	name := s.p[:maxNameLen]
	nameLen := bytes.IndexByte(name, 0)
	if nameLen < 0 {
		nameLen = maxNameLen
	}
	for i := nameLen; i < maxNameLen; i++ {
		if name[i] != 0 {
			return 0, 0, s.errf(i, "target name: byte %d after the terminating zero is not zero", i)
		}
	}
	h := &img.Header
	h.Target = string(name[:nameLen])
	r.pos = maxNameLen
	copy(h.TargetHash[:], s.p[r.pos:])
	r.pos += 32
	copy(h.ModelHash[:], s.p[r.pos:])
	r.pos += 32
	h.N, h.NIn, h.NOut = r.n32(), r.n32(), r.n32()
	nCores, nRouters = r.n32(), r.n32()
	l := &h.Limits
	l.Cols, l.Rows, l.CoresPerTile, l.HostCol, l.HostRow = r.n32(), r.n32(), r.n32(), r.n32(), r.n32()
	sideAt := r.pos
	side := r.u32()
	if side >= uint32(len(sideCodes)) {
		return 0, 0, s.errf(sideAt, "host port side code %d: want 0..%d (west, east, north, south)", side, len(sideCodes)-1)
	}
	l.HostSide = sideCodes[side]
	l.InputChannels, l.Neurons, l.ALIFNeuronSlots, l.InputAxons, l.FanoutEntries = r.n32(), r.n32(), r.n32(), r.n32(), r.n32()
	msa := r.u64()
	if msa > math.MaxInt32*4 {
		return 0, 0, s.errf(r.pos-8, "max_synapses_per_axon %d is absurd", msa)
	}
	l.MaxSynapsesPerAxon = int(msa)
	l.Words, l.WordBits, l.SynapsesPerWord, l.DelayBits, l.TargetBits = r.n32(), r.n32(), r.n32(), r.n32(), r.n32()
	l.TableEntries, l.ReadoutUnits, l.ReadoutNeuronSlots = r.n32(), r.n32(), r.n32()
	addrAt := r.pos
	addr := r.u32()
	if addr >= uint32(len(addressingCodes)) {
		return 0, 0, s.errf(addrAt, "addressing code %d: want 0 (unicast) or 1 (multicast)", addr)
	}
	l.Addressing = addressingCodes[addr]
	if err := checkHeader(h, nCores, nRouters); err != nil {
		return 0, 0, s.errf(-1, "%s", err.Error())
	}
	return nCores, nRouters, nil
}

func (d *decoder) arith(s *section) error {
	d.img.off.arith = s.off
	if err := wantLen(s, aritSize, "the arithmetic block"); err != nil {
		return err
	}
	r := &reader{p: s.p}
	a := &d.img.Arith
	a.MantissaBits, a.ExponentMin, a.ExponentMax = r.n32(), r.i32(), r.i32()
	enum := func(what string, n int) (int, error) {
		at := r.pos
		v := r.u32()
		if v >= uint32(n) {
			return 0, s.errf(at, "%s code %d: want 0..%d", what, v, n-1)
		}
		return int(v), nil
	}
	g, err := enum("exponent granularity", len(granularityCodes))
	if err != nil {
		return err
	}
	a.Granularity = granularityCodes[g]
	a.ExponentGroupsPerCore = r.n32()
	a.AccumulatorBits, a.MembraneBits, a.AdaptationBits, a.ThresholdBits, a.ThresholdShift, a.ReadoutBits = r.n32(), r.n32(), r.n32(), r.n32(), r.n32(), r.n32()
	dc, err := enum("decay representation", len(decayCodes))
	if err != nil {
		return err
	}
	a.Decay.Representation = decayCodes[dc]
	a.Decay.FractionBits, a.Decay.MaxShift, a.Decay.MinDecrement = r.n32(), r.n32(), r.n32()
	rc, err := enum("rounding", len(roundingCodes))
	if err != nil {
		return err
	}
	a.Rounding = roundingCodes[rc]
	sc, err := enum("saturation", len(saturationCodes))
	if err != nil {
		return err
	}
	a.Saturation = saturationCodes[sc]
	a.MaxDelay, a.MaxRefractory = r.n32(), r.n32()
	alif, err := enum("alif flag", 2)
	if err != nil {
		return err
	}
	a.ALIF = alif == 1
	return nil
}

func (d *decoder) net(s *section) error {
	d.img.off.net = s.off
	if err := wantLen(s, netwSize, "dt, state_exp, adapt_shift, readout_exp"); err != nil {
		return err
	}
	r := &reader{p: s.p}
	n := &d.img.Net
	n.Dt = math.Float64frombits(r.u64())
	n.StateExp, n.AdaptShift, n.ReadoutExp = r.i32(), r.i32(), r.i32()
	return nil
}

func (d *decoder) inputs(s *section, nIn int) error {
	d.img.off.inputs = s.off
	starts := 4 * (uint64(nIn) + 1)
	if uint64(len(s.p)) < starts || (uint64(len(s.p))-starts)%8 != 0 {
		return s.errf(-1, "payload of %d bytes: want 4 x (n_in + 1) = %d bytes of starts and a multiple of 8 bytes of entries", len(s.p), starts)
	}
	r := &reader{p: s.p}
	in := &d.img.Inputs
	in.Start = make([]uint32, nIn+1)
	for i := range in.Start {
		in.Start[i] = r.u32()
	}
	in.Dest = make([]Dest, (uint64(len(s.p))-starts)/8)
	for i := range in.Dest {
		in.Dest[i] = Dest(r.u64())
	}
	return nil
}

func (d *decoder) outputs(s *section, nOut int) error {
	d.img.off.outputs = s.off
	if err := wantLen(s, 8*uint64(nOut), "8 bytes per readout unit"); err != nil {
		return err
	}
	r := &reader{p: s.p}
	d.img.Outputs = make([]Output, nOut)
	for k := range d.img.Outputs {
		d.img.Outputs[k] = Output{Core: r.n32(), Slot: r.n32()}
	}
	return nil
}

func (d *decoder) core(s *section, c *Core) error {
	if len(s.p) < coreFixedSize {
		return s.errf(-1, "payload of %d bytes: shorter than the %d-byte core header", len(s.p), coreFixedSize)
	}
	l := &d.img.Header.Limits
	r := &reader{p: s.p}
	c.Index = r.n32()
	n, nr, g, a, m, w, f := r.n32(), r.n32(), r.n32(), r.n32(), r.n32(), r.n32(), r.n32()
	// Limits first, so that the sizes below stay small; then the exact length.
	for _, x := range []struct {
		what     string
		v, limit int
		field    int
	}{
		{"neurons", n, l.Neurons, 4}, {"readout units", nr, l.ReadoutUnits, 8}, {"exponent table entries", g, 129, 12},
		{"axon-table entries", a, l.InputAxons, 16}, {"axon-map entries", m, l.InputAxons, 20},
		{"synapse-memory words", w, l.Words, 24}, {"fan-out entries", f, l.FanoutEntries, 28},
	} {
		if x.v > x.limit {
			return s.errf(x.field, "core %d: %d %s, the target's limit is %d", c.Index, x.v, x.what, x.limit)
		}
	}
	wb := l.WordBytes()
	if want := coreSize(g, n, nr, a, m, f, w, wb); uint64(len(s.p)) != want {
		return s.errf(-1, "core %d: payload of %d bytes, but its counts (%d exponents, %d neurons, %d readouts, %d axon entries, %d map entries, %d fan-out entries, %d words of %d bytes) need %d",
			c.Index, len(s.p), g, n, nr, a, m, f, w, wb, want)
	}
	c.Exponents = make([]int, g)
	for i := range c.Exponents {
		c.Exponents[i] = int(int8(r.u8()))
	}
	c.Neurons = make([]Neuron, n)
	for i := range c.Neurons {
		x := &c.Neurons[i]
		at := r.pos
		x.ID, x.Slot = r.n32(), r.n32()
		flags := r.u32()
		if flags&^neuronKnown != 0 {
			return s.errf(at+8, "core %d: neuron entry %d: unknown flag bits %#x", c.Index, i, flags&^neuronKnown)
		}
		x.ALIF, x.Spiked = flags&neuronALIF != 0, flags&neuronSpiked != 0
		x.Refractory, x.MemDecay, x.AdaptDecay = int32(r.u32()), int32(r.u32()), int32(r.u32())
		x.Threshold, x.AdaptInc, x.V, x.B = r.i64(), r.i64(), r.i64(), r.i64()
		x.RefrLeft = int32(r.u32())
	}
	c.Readouts = make([]ReadoutUnit, nr)
	for i := range c.Readouts {
		x := &c.Readouts[i]
		x.Index, x.Slot = r.n32(), r.n32()
		x.Decay = int32(r.u32())
		x.Bias, x.Y = r.i64(), r.i64()
	}
	c.Axons = make([]Axon, a)
	for i := range c.Axons {
		at := r.pos
		x := &c.Axons[i]
		x.FirstWord, x.Count = r.u32(), r.u32()
		x.Group = r.u8()
		flags := r.u8()
		if flags&^axonKnown != 0 {
			return s.errf(at+9, "core %d: axon entry %d: unknown flag bits %#x", c.Index, i, flags&^axonKnown)
		}
		x.More = flags&axonMore != 0
	}
	c.AxonMap = make([]AxonSource, m)
	for i := range c.AxonMap {
		c.AxonMap[i] = AxonSource{Source: r.u64(), Axon: r.n32()}
	}
	c.FanoutStart = make([]uint32, n+1)
	for i := range c.FanoutStart {
		c.FanoutStart[i] = r.u32()
	}
	c.Fanout = make([]Dest, f)
	for i := range c.Fanout {
		c.Fanout[i] = Dest(r.u64())
	}
	c.Words = w
	c.Synapses = s.p[r.pos : r.pos+w*wb : r.pos+w*wb]
	return nil
}

func (d *decoder) router(s *section, rt *Router) error {
	if len(s.p) < routerFixedSize || (len(s.p)-routerFixedSize)%routeEntrySize != 0 {
		return s.errf(-1, "payload of %d bytes: want 8 + 25 x entries", len(s.p))
	}
	r := &reader{p: s.p}
	rt.Tile = r.n32()
	n := r.n32()
	if have := (len(s.p) - routerFixedSize) / routeEntrySize; n != have {
		return s.errf(4, "tile %d: %d entries, but the payload holds %d", rt.Tile, n, have)
	}
	if n > d.img.Header.Limits.TableEntries {
		return s.errf(4, "tile %d: %d routing entries, the target's limit is %d", rt.Tile, n, d.img.Header.Limits.TableEntries)
	}
	rt.Entries = make([]RouteEntry, n)
	for i := range rt.Entries {
		e := &rt.Entries[i]
		e.Key, e.Mask = r.u64(), r.u64()
		e.Links = r.u8()
		e.Cores = r.u64()
	}
	return nil
}
