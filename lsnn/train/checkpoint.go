package train

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/snnc/snnc/internal/atomicfile"
)

// Checkpoint layout (docs/checkpoint-format.md): magic, version, the length of a JSON
// header, the header (configuration, iteration, budget), then fixed-size little-endian
// arrays whose lengths follow from the configuration, then a CRC32 of all before it.
const (
	ckptMagic   = "SNNCCKPT"
	ckptVersion = 1
	// maxCkptHeader bounds the JSON header; real ones are well under 2 KiB.
	maxCkptHeader = 1 << 16
)

type ckptHeader struct {
	Config Config `json:"config"`
	Iter   int    `json:"iter"`
	K      int    `json:"budget"`
	Dale   bool   `json:"dale"`
	// Elapsed is the wall time spent training so far, in seconds, for learning curves.
	Elapsed float64 `json:"elapsed_s"`
}

// SaveCheckpoint writes the run's state to path atomically.
func (tr *Trainer) SaveCheckpoint(path string) error {
	var buf bytes.Buffer
	if err := tr.writeCheckpoint(&buf); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	return nil
}

func (tr *Trainer) writeCheckpoint(w *bytes.Buffer) error {
	p := tr.P
	h, err := json.Marshal(ckptHeader{Config: tr.Cfg, Iter: tr.Iter, K: p.K, Dale: p.SignIn != nil, Elapsed: tr.Elapsed})
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	w.WriteString(ckptMagic)
	le := binary.LittleEndian
	w.Write(le.AppendUint32(nil, ckptVersion))
	w.Write(le.AppendUint32(nil, uint32(len(h))))
	w.Write(h)
	for _, a := range [][]float64{p.Theta, tr.m, tr.v, p.BOut, tr.mb, tr.vb} {
		for _, x := range a {
			w.Write(le.AppendUint64(nil, math.Float64bits(x)))
		}
	}
	for _, a := range [][]int8{p.Sign, p.SignIn, p.SignRec} {
		for _, x := range a {
			w.WriteByte(byte(x))
		}
	}
	for _, d := range p.Delay {
		w.Write(le.AppendUint16(nil, d))
	}
	w.Write(le.AppendUint32(nil, crc32.ChecksumIEEE(w.Bytes())))
	return nil
}

// LoadCheckpoint restores a run saved by SaveCheckpoint. Attach the task with SetTask
// before stepping.
func LoadCheckpoint(path string) (*Trainer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint: %w", err)
	}
	tr, err := readCheckpoint(data)
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	return tr, nil
}

func readCheckpoint(data []byte) (*Trainer, error) {
	le := binary.LittleEndian
	if len(data) < len(ckptMagic)+12 || string(data[:len(ckptMagic)]) != ckptMagic {
		return nil, fmt.Errorf("not an snnc checkpoint (bad magic or too short)")
	}
	body, sum := data[:len(data)-4], le.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, fmt.Errorf("CRC mismatch: the file is corrupted")
	}
	r := bytes.NewReader(body[len(ckptMagic):])
	var version, hlen uint32
	binary.Read(r, le, &version)
	binary.Read(r, le, &hlen)
	if version != ckptVersion {
		return nil, fmt.Errorf("version %d, this snnc reads version %d", version, ckptVersion)
	}
	if hlen > maxCkptHeader || int(hlen) > r.Len() {
		return nil, fmt.Errorf("header length %d exceeds the %d bytes left", hlen, r.Len())
	}
	hb := make([]byte, hlen)
	io.ReadFull(r, hb)
	var h ckptHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	cfg := h.Config
	if err := cfg.Check(); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	p := &Params{cfg: cfg, K: h.K}
	n, N := p.size(), cfg.N()
	nIn, nRec := 0, 0
	if h.Dale {
		nIn, nRec = cfg.NIn, N
	}
	want := int64(n)*8*3 + int64(cfg.NOut)*8*3 + int64(n) + int64(nIn+nRec) + int64(n)*2
	if int64(r.Len()) != want {
		return nil, fmt.Errorf("arrays take %d bytes, the configuration needs %d", r.Len(), want)
	}
	if h.Iter < 0 || h.K <= 0 || h.K > p.potentialCount() {
		return nil, fmt.Errorf("header: iteration %d, budget %d of %d: out of range", h.Iter, h.K, p.potentialCount())
	}
	floats := func(k int) []float64 {
		a := make([]float64, k)
		for i := range a {
			var u uint64
			binary.Read(r, le, &u)
			a[i] = math.Float64frombits(u)
		}
		return a
	}
	ints := func(k int) []int8 {
		if k == 0 {
			return nil
		}
		a := make([]int8, k)
		for i := range a {
			b, _ := r.ReadByte()
			a[i] = int8(b)
		}
		return a
	}
	tr := &Trainer{Cfg: cfg, P: p, Iter: h.Iter, Elapsed: h.Elapsed}
	p.Theta, tr.m, tr.v = floats(n), floats(n), floats(n)
	p.BOut, tr.mb, tr.vb = floats(cfg.NOut), floats(cfg.NOut), floats(cfg.NOut)
	p.Sign, p.SignIn, p.SignRec = ints(n), ints(nIn), ints(nRec)
	p.Delay = make([]uint16, n)
	for i := range p.Delay {
		binary.Read(r, le, &p.Delay[i])
	}
	for k := range p.Sign {
		lo, hi := 0, 0
		switch p.matrixOf(k) {
		case 0:
			lo, hi = cfg.DelayIn[0], cfg.DelayIn[1]
		case 1:
			lo, hi = cfg.DelayRec[0], cfg.DelayRec[1]
		}
		if p.Sign[k] != 1 && p.Sign[k] != -1 || int(p.Delay[k]) < lo || int(p.Delay[k]) > hi {
			return nil, fmt.Errorf("connection %d: sign %d, delay %d: out of range", k, p.Sign[k], p.Delay[k])
		}
		if math.IsNaN(tr.m[k]) || math.IsNaN(tr.v[k]) || tr.v[k] < 0 {
			return nil, fmt.Errorf("connection %d: optimizer state is not a number", k)
		}
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	if err := p.Network().Validate(); err != nil {
		return nil, err
	}
	return tr, nil
}
