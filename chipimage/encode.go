package chipimage

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"

	"github.com/snnc/snnc/targets"
)

// The file layout (docs/image-format.md):
//
//	header   magic "SNNCIMAG", version u32, section count u32, file length u64
//	section  tag [4]byte, payload length u64, CRC32 of the payload u32, payload
//	trailer  CRC32 (IEEE) of all preceding bytes, u32
//
// Sections, in this order: HEAD, ARIT, NETW, INPT, OUTP, then one CORE per core
// (ascending core index), then one ROUT per routing table (ascending tile).
const (
	magic             = "SNNCIMAG"
	fileHeaderSize    = 24
	sectionHeaderSize = 16
	trailerSize       = 4

	headSize        = 64 + 32 + 32 + 5*4 + 88 // name, hashes, counts, limits
	aritSize        = 20 * 4
	netwSize        = 8 + 3*4
	coreFixedSize   = 8 * 4
	neuronSize      = 60
	readoutSize     = 28
	axonSize        = 10
	mapEntrySize    = 12
	routeEntrySize  = 25
	routerFixedSize = 8
	maxNameLen      = 64
)

// Section tags.
const (
	tagHead   = "HEAD"
	tagArith  = "ARIT"
	tagNet    = "NETW"
	tagInputs = "INPT"
	tagOutput = "OUTP"
	tagCore   = "CORE"
	tagRouter = "ROUT"
)

// Neuron flags, axon flags.
const (
	neuronALIF   = 1 << 0
	neuronSpiked = 1 << 1
	neuronKnown  = neuronALIF | neuronSpiked
	axonMore     = 1 << 0
	axonKnown    = axonMore
)

var le = binary.LittleEndian

// Enumerations as the file stores them.
var (
	sideCodes        = []targets.Side{targets.West, targets.East, targets.North, targets.South}
	addressingCodes  = []targets.Addressing{targets.Unicast, targets.Multicast}
	granularityCodes = []targets.Granularity{targets.PerMatrix, targets.PerCore, targets.PerSynapseGroup}
	decayCodes       = []targets.DecayRepresentation{targets.DecayMultiplier, targets.DecayShift}
	roundingCodes    = []targets.Rounding{targets.HalfAwayFromZero, targets.HalfToEven, targets.TowardZero, targets.Floor}
	saturationCodes  = []targets.Saturation{targets.Saturate, targets.Wrap}
)

func codeOf[T comparable](codes []T, v T) uint32 {
	for i, c := range codes {
		if c == v {
			return uint32(i)
		}
	}
	return math.MaxUint32
}

// MarshalBinary encodes a valid image; it refuses an invalid one.
func (img *Image) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	if _, err := img.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteTo validates the image and writes its encoding to w. The encoding depends on
// nothing but the image: the same image always gives the same bytes. Sections are
// encoded one at a time, so the memory used beyond the image is one core's section.
func (img *Image) WriteTo(w io.Writer) (int64, error) {
	if err := img.Validate(); err != nil {
		return 0, fmt.Errorf("chipimage: refusing to encode an invalid image: %w", err)
	}
	return img.write(w)
}

// WriteUnvalidatedTo writes the image's encoding without validating it first. It is
// for a caller that validates the image itself, before or while the bytes are written
// (discarding them when that fails, as the compiler does), and need not pay for a
// second validation: seconds at 10^8 synapses. An image whose tables disagree with
// their own counts gets an error; any other invalid image comes out as a file that
// Decode rejects. When in doubt, use WriteTo.
func (img *Image) WriteUnvalidatedTo(w io.Writer) (int64, error) { return img.write(w) }

// write encodes the image without validating it.
func (img *Image) write(w io.Writer) (int64, error) {
	sizes := img.sectionSizes()
	total := uint64(fileHeaderSize + trailerSize)
	for _, s := range sizes {
		total += sectionHeaderSize + s
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	crc := crc32.NewIEEE()
	out := &countWriter{w: io.MultiWriter(bw, crc)}
	var hdr [fileHeaderSize]byte
	copy(hdr[:], magic)
	le.PutUint32(hdr[8:], Version)
	le.PutUint32(hdr[12:], uint32(len(sizes)))
	le.PutUint64(hdr[16:], total)
	out.Write(hdr[:])
	e := &encoder{img: img}
	i := 0
	section := func(tag string, fill func(*encoder)) {
		if out.err != nil {
			return
		}
		e.b = e.b[:0]
		fill(e)
		if uint64(len(e.b)) != sizes[i] {
			// Only an image that skipped Validate gets here: a core whose fan-out
			// starts or synapse bytes disagree with its counts.
			out.err = fmt.Errorf("section %d (%s): encoded %d bytes, its counts give %d: the image is not valid", i, tag, len(e.b), sizes[i])
			return
		}
		i++
		var sh [sectionHeaderSize]byte
		copy(sh[:], tag)
		le.PutUint64(sh[4:], uint64(len(e.b)))
		le.PutUint32(sh[12:], crc32.ChecksumIEEE(e.b))
		out.Write(sh[:])
		out.Write(e.b)
	}
	section(tagHead, (*encoder).head)
	section(tagArith, (*encoder).arith)
	section(tagNet, (*encoder).net)
	section(tagInputs, (*encoder).inputs)
	section(tagOutput, (*encoder).outputs)
	for k := range img.Cores {
		section(tagCore, func(e *encoder) { e.core(&img.Cores[k]) })
	}
	for k := range img.Routers {
		section(tagRouter, func(e *encoder) { e.router(&img.Routers[k]) })
	}
	var tr [trailerSize]byte
	le.PutUint32(tr[:], crc.(hash.Hash32).Sum32())
	if _, err := bw.Write(tr[:]); err != nil {
		return out.n, fmt.Errorf("chipimage: %w", err)
	}
	if out.err != nil {
		return out.n, fmt.Errorf("chipimage: %w", out.err)
	}
	if err := bw.Flush(); err != nil {
		return out.n, fmt.Errorf("chipimage: %w", err)
	}
	return out.n + trailerSize, nil
}

// countWriter counts bytes and keeps the first error.
type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

// sectionSizes lists the payload length of every section in file order.
func (img *Image) sectionSizes() []uint64 {
	s := []uint64{headSize, aritSize, netwSize,
		uint64(4*(len(img.Inputs.Start)) + 8*len(img.Inputs.Dest)),
		uint64(8 * len(img.Outputs))}
	wb := img.Header.Limits.WordBytes()
	for k := range img.Cores {
		c := &img.Cores[k]
		s = append(s, coreSize(len(c.Exponents), len(c.Neurons), len(c.Readouts), len(c.Axons), len(c.AxonMap), len(c.Fanout), c.Words, wb))
	}
	for k := range img.Routers {
		s = append(s, uint64(routerFixedSize+routeEntrySize*len(img.Routers[k].Entries)))
	}
	return s
}

// coreSize is the payload length of a core section with these counts.
func coreSize(g, n, r, a, m, f, w, wordBytes int) uint64 {
	return coreFixedSize + uint64(g) + neuronSize*uint64(n) + readoutSize*uint64(r) + axonSize*uint64(a) +
		mapEntrySize*uint64(m) + 4*(uint64(n)+1) + 8*uint64(f) + uint64(w)*uint64(wordBytes)
}

type encoder struct {
	img *Image
	b   []byte
}

func (e *encoder) u8(v uint8)   { e.b = append(e.b, v) }
func (e *encoder) u32(v uint32) { e.b = le.AppendUint32(e.b, v) }
func (e *encoder) i32(v int)    { e.b = le.AppendUint32(e.b, uint32(int32(v))) }
func (e *encoder) u64(v uint64) { e.b = le.AppendUint64(e.b, v) }
func (e *encoder) i64(v int64)  { e.b = le.AppendUint64(e.b, uint64(v)) }
func (e *encoder) n32(v int)    { e.b = le.AppendUint32(e.b, uint32(v)) }

func (e *encoder) head() {
	h := &e.img.Header
	var name [maxNameLen]byte
	copy(name[:], h.Target)
	e.b = append(e.b, name[:]...)
	e.b = append(e.b, h.TargetHash[:]...)
	e.b = append(e.b, h.ModelHash[:]...)
	for _, v := range []int{h.N, h.NIn, h.NOut, len(e.img.Cores), len(e.img.Routers)} {
		e.n32(v)
	}
	l := &h.Limits
	for _, v := range []int{l.Cols, l.Rows, l.CoresPerTile, l.HostCol, l.HostRow} {
		e.n32(v)
	}
	e.u32(codeOf(sideCodes, l.HostSide))
	for _, v := range []int{l.InputChannels, l.Neurons, l.ALIFNeuronSlots, l.InputAxons, l.FanoutEntries} {
		e.n32(v)
	}
	e.u64(uint64(l.MaxSynapsesPerAxon))
	for _, v := range []int{l.Words, l.WordBits, l.SynapsesPerWord, l.DelayBits, l.TargetBits, l.TableEntries, l.ReadoutUnits, l.ReadoutNeuronSlots} {
		e.n32(v)
	}
	e.u32(codeOf(addressingCodes, l.Addressing))
}

func (e *encoder) arith() {
	a := &e.img.Arith
	e.n32(a.MantissaBits)
	e.i32(a.ExponentMin)
	e.i32(a.ExponentMax)
	e.u32(codeOf(granularityCodes, a.Granularity))
	e.n32(a.ExponentGroupsPerCore)
	for _, v := range []int{a.AccumulatorBits, a.MembraneBits, a.AdaptationBits, a.ThresholdBits, a.ThresholdShift, a.ReadoutBits} {
		e.n32(v)
	}
	e.u32(codeOf(decayCodes, a.Decay.Representation))
	e.n32(a.Decay.FractionBits)
	e.n32(a.Decay.MaxShift)
	e.n32(a.Decay.MinDecrement)
	e.u32(codeOf(roundingCodes, a.Rounding))
	e.u32(codeOf(saturationCodes, a.Saturation))
	e.n32(a.MaxDelay)
	e.n32(a.MaxRefractory)
	if a.ALIF {
		e.u32(1)
	} else {
		e.u32(0)
	}
}

func (e *encoder) net() {
	n := &e.img.Net
	e.u64(math.Float64bits(n.Dt))
	e.i32(n.StateExp)
	e.i32(n.AdaptShift)
	e.i32(n.ReadoutExp)
}

func (e *encoder) inputs() {
	for _, s := range e.img.Inputs.Start {
		e.u32(s)
	}
	for _, d := range e.img.Inputs.Dest {
		e.u64(uint64(d))
	}
}

func (e *encoder) outputs() {
	for _, o := range e.img.Outputs {
		e.n32(o.Core)
		e.n32(o.Slot)
	}
}

func (e *encoder) core(c *Core) {
	for _, v := range []int{c.Index, len(c.Neurons), len(c.Readouts), len(c.Exponents), len(c.Axons), len(c.AxonMap), c.Words, len(c.Fanout)} {
		e.n32(v)
	}
	for _, x := range c.Exponents {
		e.u8(uint8(int8(x)))
	}
	for i := range c.Neurons {
		n := &c.Neurons[i]
		var flags uint32
		if n.ALIF {
			flags |= neuronALIF
		}
		if n.Spiked {
			flags |= neuronSpiked
		}
		e.n32(n.ID)
		e.n32(n.Slot)
		e.u32(flags)
		e.u32(uint32(n.Refractory))
		e.u32(uint32(n.MemDecay))
		e.u32(uint32(n.AdaptDecay))
		e.i64(n.Threshold)
		e.i64(n.AdaptInc)
		e.i64(n.V)
		e.i64(n.B)
		e.u32(uint32(n.RefrLeft))
	}
	for _, r := range c.Readouts {
		e.n32(r.Index)
		e.n32(r.Slot)
		e.u32(uint32(r.Decay))
		e.i64(r.Bias)
		e.i64(r.Y)
	}
	for _, a := range c.Axons {
		e.u32(a.FirstWord)
		e.u32(a.Count)
		e.u8(a.Group)
		if a.More {
			e.u8(axonMore)
		} else {
			e.u8(0)
		}
	}
	for _, m := range c.AxonMap {
		e.u64(m.Source)
		e.n32(m.Axon)
	}
	for _, s := range c.FanoutStart {
		e.u32(s)
	}
	for _, d := range c.Fanout {
		e.u64(uint64(d))
	}
	e.b = append(e.b, c.Synapses...)
}

func (e *encoder) router(r *Router) {
	e.n32(r.Tile)
	e.n32(len(r.Entries))
	for _, x := range r.Entries {
		e.u64(x.Key)
		e.u64(x.Mask)
		e.u8(x.Links)
		e.u64(x.Cores)
	}
}
