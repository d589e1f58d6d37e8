package boards

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/snnc/snnc/targets"
)

// Board is one dev board snnc can flash.
type Board struct {
	Name        string // "arty-a7-35t": the spec file's base name, never a field
	Description string
	FPGA        string // FPGA part, e.g. "XC7A35TICSG324-1L"
	ClockHz     int64  // the oscillator that clocks the FPGA design
	Target      string // the snnc target whose images it runs (a preset of package targets)
	USB         USB    // UART bridge
	DefaultBaud int
	MaxBaud     int
	MaxFrame    int // largest frame payload in bytes the board's receive buffer takes
	// ImageBytes is the largest image the board holds. The board stages an upload
	// apart from the image it runs (in external memory), so it holds one of each.
	ImageBytes int
	Notes      string // why the figures above are what they are; may be empty
}

// USB identifies a board's USB-UART bridge as the host sees it.
type USB struct {
	VID, PID uint16 // JSON as "0403"/"6010" hex strings
	// Interface is the USB interface number of the UART, -1 when the bridge has one.
	// A dual bridge such as the FT2232H shows the host one serial port per interface;
	// the Digilent boards and the iCEBreaker use the first for JTAG or flash and the
	// second (1) for the UART.
	Interface int
	Bridge    string // "FT2232H"
}

// ID is the bridge's "VID:PID" in lower-case hex, as lsusb prints it.
func (u USB) ID() string { return fmt.Sprintf("%04x:%04x", u.VID, u.PID) }

// String describes the bridge for messages: "FT2232H bridge 0403:6010 (interface 1)".
func (u USB) String() string {
	if u.Interface < 0 {
		return u.Bridge + " bridge " + u.ID()
	}
	return fmt.Sprintf("%s bridge %s (interface %d)", u.Bridge, u.ID(), u.Interface)
}

// Bounds on a board spec. They are far above any real board and keep a hostile or
// mistyped file from claiming what a UART or a frame cannot be.
const (
	specVersion    = 1
	specMaxFile    = 64 << 10
	specMaxClockHz = 10_000_000_000 // 10 GHz
	specMaxBaud    = 100_000_000    // 100 Mbaud; USB-UART bridges stop at 12
	specMinFrame   = 64             // room for one useful payload
	specMaxFrame   = 65535          // what a 16-bit length field can say
	specMaxIface   = 255            // bInterfaceNumber is one byte
	specMinImage   = 1 << 10        // below any image's header and tables
	specMaxImage   = 1<<32 - 1      // what the protocol's 32-bit sizes can say
)

//go:embed data/*.json
var specFS embed.FS

// specSet is every embedded board spec, parsed once.
type specSet struct {
	boards []*Board          // the valid specs, sorted by name
	errs   map[string]error  // the invalid ones by name; the tests keep it empty
	names  []string          // every embedded name, sorted, valid or not
	byName map[string]*Board // boards by name
}

var embedded = sync.OnceValue(loadEmbedded)

func loadEmbedded() *specSet {
	s := &specSet{errs: map[string]error{}, byName: map[string]*Board{}}
	entries, _ := specFS.ReadDir("data") // the directory is embedded: it exists
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() {
			continue
		}
		s.names = append(s.names, name)
		data, err := specFS.ReadFile("data/" + e.Name())
		if err == nil {
			var b *Board
			if b, err = parseSpec(name, data); err == nil {
				s.boards = append(s.boards, b)
				s.byName[name] = b
				continue
			}
		}
		s.errs[name] = err
	}
	sort.Strings(s.names)
	sort.Slice(s.boards, func(i, j int) bool { return s.boards[i].Name < s.boards[j].Name })
	return s
}

// Lookup returns the board of that name.
func Lookup(name string) (*Board, error) {
	s := embedded()
	if b, ok := s.byName[name]; ok {
		c := *b // callers may change their copy, never the shared spec
		return &c, nil
	}
	if err, ok := s.errs[name]; ok {
		return nil, err
	}
	return nil, fmt.Errorf("boards: no board %q (boards: %s)", name, strings.Join(s.names, ", "))
}

// Boards returns every board, sorted by name.
func Boards() []*Board {
	s := embedded()
	list := make([]*Board, len(s.boards))
	for i, b := range s.boards {
		c := *b
		list[i] = &c
	}
	return list
}

// boardFile is a spec file as written. Pointers mark the fields whose zero value is
// valid, so that leaving them out is an error rather than a silent 0.
type boardFile struct {
	Version     *int     `json:"version"`
	Description string   `json:"description"`
	FPGA        string   `json:"fpga"`
	ClockHz     int64    `json:"clock_hz"`
	Target      string   `json:"target"`
	USB         *usbFile `json:"usb"`
	DefaultBaud int      `json:"default_baud"`
	MaxBaud     int      `json:"max_baud"`
	MaxFrame    int      `json:"max_frame"`
	ImageBytes  int      `json:"image_bytes"`
	Notes       string   `json:"notes,omitempty"`
}

type usbFile struct {
	VID       string `json:"vid"`
	PID       string `json:"pid"`
	Interface *int   `json:"interface"`
	Bridge    string `json:"bridge"`
}

// parseSpec decodes and validates the spec of the board name. Every error names the
// board and starts with "boards: "; a validation error lists every problem, one a line.
func parseSpec(name string, data []byte) (*Board, error) {
	f, err := decodeSpec(data)
	if err != nil {
		return nil, fmt.Errorf("boards: %s: %w", name, err)
	}
	b, p := f.board(name)
	if len(p) > 0 {
		for i := range p {
			p[i] = "boards: " + name + ": " + p[i]
		}
		return nil, errors.New(strings.Join(p, "\n"))
	}
	return b, nil
}

// decodeSpec decodes one JSON object strictly: no unknown field, nothing after it.
func decodeSpec(data []byte) (*boardFile, error) {
	if len(data) > specMaxFile {
		return nil, fmt.Errorf("file is %d bytes, more than the %d a board spec may have", len(data), specMaxFile)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	f := new(boardFile)
	if err := dec.Decode(f); err != nil {
		return nil, jsonProblem(err)
	}
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF {
		return nil, fmt.Errorf("offset %d: data after the JSON object", dec.InputOffset())
	}
	return f, nil
}

// jsonProblem rewords a decoding error to name the field or the offset.
func jsonProblem(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "" && strings.HasPrefix(te.Value, "number "):
		// A number that is fractional or does not fit the field's Go type.
		return fmt.Errorf("%s = %s: must be a whole number in range", te.Field, strings.TrimPrefix(te.Value, "number "))
	case errors.As(err, &te) && te.Field != "":
		return fmt.Errorf("%s: must be a JSON %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
	case errors.As(err, &te):
		return fmt.Errorf("must hold one JSON object, not %s", te.Value)
	case errors.As(err, &se):
		return fmt.Errorf("offset %d: %v", se.Offset, se)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("unexpected end of file: the JSON object is not complete")
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"), strings.HasPrefix(goKind, "float"):
		return "number"
	case goKind == "struct", goKind == "ptr":
		return "object"
	}
	return goKind
}

// board checks every field of f and returns the board, or every problem found.
func (f *boardFile) board(name string) (*Board, []string) {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if !validSpecName(name) {
		add("the file's base name %q names the board: use 1 to 64 characters from a-z 0-9 . _ -", name)
	}
	switch {
	case f.Version == nil:
		add("version: missing: every board spec states \"version\": %d", specVersion)
	case *f.Version != specVersion:
		add("version = %d: this reader knows version %d only", *f.Version, specVersion)
	}
	nonEmpty := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			add("%s: must not be empty", field)
		}
	}
	nonEmpty("description", f.Description)
	nonEmpty("fpga", f.FPGA)
	if f.ClockHz <= 0 || f.ClockHz > specMaxClockHz {
		add("clock_hz = %d: must be between 1 and %d", f.ClockHz, int64(specMaxClockHz))
	}
	if f.Target == "" {
		add("target: must not be empty: name a target preset (%s)", strings.Join(targets.Names(), ", "))
	} else if !slices.Contains(targets.Names(), f.Target) {
		add("target = %q: no such target preset (presets: %s)", f.Target, strings.Join(targets.Names(), ", "))
	}
	b := &Board{Name: name, Description: f.Description, FPGA: f.FPGA, ClockHz: f.ClockHz,
		Target: f.Target, DefaultBaud: f.DefaultBaud, MaxBaud: f.MaxBaud, MaxFrame: f.MaxFrame, ImageBytes: f.ImageBytes, Notes: f.Notes}
	if f.USB == nil {
		add("usb: missing: give the UART bridge's vid, pid, interface and bridge")
	} else {
		b.USB = f.USB.check(add)
	}
	switch {
	case f.DefaultBaud <= 0:
		add("default_baud = %d: must be positive", f.DefaultBaud)
	case f.MaxBaud > 0 && f.DefaultBaud > f.MaxBaud:
		add("default_baud = %d: must not exceed max_baud (%d)", f.DefaultBaud, f.MaxBaud)
	}
	if f.MaxBaud <= 0 || f.MaxBaud > specMaxBaud {
		add("max_baud = %d: must be between 1 and %d", f.MaxBaud, specMaxBaud)
	}
	if f.MaxFrame < specMinFrame || f.MaxFrame > specMaxFrame {
		add("max_frame = %d: must be between %d and %d bytes", f.MaxFrame, specMinFrame, specMaxFrame)
	}
	if f.ImageBytes < specMinImage || f.ImageBytes > specMaxImage {
		add("image_bytes = %d: must be between %d and %d", f.ImageBytes, specMinImage, specMaxImage)
	}
	return b, p
}

// check validates the bridge, reporting problems through add, and returns it.
func (u *usbFile) check(add func(string, ...any)) USB {
	out := USB{Bridge: u.Bridge, Interface: -1}
	out.VID = hexID("usb.vid", u.VID, add)
	out.PID = hexID("usb.pid", u.PID, add)
	switch {
	case u.Interface == nil:
		add("usb.interface: missing: the UART's USB interface number, or -1 when the bridge has one")
	case *u.Interface < -1 || *u.Interface > specMaxIface:
		add("usb.interface = %d: must be between -1 and %d", *u.Interface, specMaxIface)
	default:
		out.Interface = *u.Interface
	}
	if strings.TrimSpace(u.Bridge) == "" {
		add("usb.bridge: must not be empty")
	}
	return out
}

// hexID parses a USB vendor or product ID written as four hex digits, as lsusb
// prints them; 0000 is reserved and names no device.
func hexID(field, s string, add func(string, ...any)) uint16 {
	v, err := strconv.ParseUint(s, 16, 16)
	if len(s) != 4 || err != nil {
		add("%s = %q: must be four hex digits, e.g. \"0403\"", field, s)
		return 0
	}
	if v == 0 {
		add("%s = %q: must not be zero", field, s)
	}
	return uint16(v)
}

// validSpecName reports whether s may name a board: it becomes a --board value and
// a file name, so 1 to 64 characters from [a-z0-9._-], not starting with a dot.
func validSpecName(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '.' {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
