package boards

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.bug.st/serial/enumerator"
)

// Ports as Linux lists them with an Arty (both FT2232H interfaces), an iCEBreaker, a
// CP2102 adapter and the motherboard's UART plugged in.
var (
	ttyS0    = PortInfo{Name: "/dev/ttyS0", Interface: -1}
	artyJTAG = PortInfo{Name: "/dev/ttyUSB0", USB: true, VID: 0x0403, PID: 0x6010, Interface: 0, Serial: "210319A8B8A0", Product: "Digilent USB Device"}
	artyUART = PortInfo{Name: "/dev/ttyUSB1", USB: true, VID: 0x0403, PID: 0x6010, Interface: 1, Serial: "210319A8B8A0", Product: "Digilent USB Device"}
	iceUART  = PortInfo{Name: "/dev/ttyUSB3", USB: true, VID: 0x0403, PID: 0x6010, Interface: 1, Serial: "ibQ5dnxD", Product: "Dual RS232-HS"}
	cp2102   = PortInfo{Name: "/dev/ttyUSB4", USB: true, VID: 0x10c4, PID: 0xea60, Interface: 0, Product: "CP2102 USB to UART Bridge Controller"}
	// On macOS and Windows the interface is unknown.
	macUART = PortInfo{Name: "/dev/cu.usbserial-210319A8B8A01", USB: true, VID: 0x0403, PID: 0x6010, Interface: -1}
)

func TestFindPort(t *testing.T) {
	arty, err := Lookup("arty-a7-35t")
	if err != nil {
		t.Fatal(err)
	}
	// A board whose single-interface bridge reports no interface number.
	ft232r := &Board{Name: "de10-nano", USB: USB{VID: 0x0403, PID: 0x6001, Interface: -1, Bridge: "FT232R"}}
	ft232rPort := PortInfo{Name: "/dev/ttyUSB5", USB: true, VID: 0x0403, PID: 0x6001, Interface: 0}

	cases := []struct {
		name  string
		board *Board
		ports []PortInfo
		want  string   // the port, or "" for an error
		msg   []string // each must appear in the error
	}{
		{"no ports", arty, nil, "", []string{"boards: arty-a7-35t: no serial port", "FT2232H bridge 0403:6010 (interface 1)", "ports seen: none", "--port"}},
		{"not USB", arty, []PortInfo{ttyS0}, "", []string{"no serial port", "/dev/ttyS0 (not USB)", "--port"}},
		{"UART of two", arty, []PortInfo{ttyS0, artyJTAG, artyUART}, "/dev/ttyUSB1", nil},
		{"interface mismatch", arty, []PortInfo{ttyS0, artyJTAG, cp2102}, "", []string{
			"no serial port",
			"/dev/ttyS0 (not USB)",
			"/dev/ttyUSB0 (0403:6010, interface 0, Digilent USB Device, serial 210319A8B8A0)",
			"/dev/ttyUSB4 (10c4:ea60, interface 0, CP2102 USB to UART Bridge Controller)",
			"--port"}},
		{"other bridge", arty, []PortInfo{cp2102}, "", []string{"no serial port", "10c4:ea60", "--port"}},
		{"interface unknown", arty, []PortInfo{macUART}, macUART.Name, nil},
		{"two boards", arty, []PortInfo{artyJTAG, artyUART, iceUART}, "", []string{
			"2 serial ports match", "ambiguous", artyUART.String(), iceUART.String(), "basys3, icebreaker", "--port"}},
		{"board interface unknown", ft232r, []PortInfo{artyUART, ft232rPort}, "/dev/ttyUSB5", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := FindPort(c.board, c.ports)
			if c.want != "" {
				if got != c.want || err != nil {
					t.Fatalf("FindPort = %q, %v; want %q", got, err, c.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("FindPort = %q, want an error", got)
			}
			for _, m := range c.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not say %q", err, m)
				}
			}
		})
	}
}

func TestMatchBoards(t *testing.T) {
	all := []string{"arty-a7-35t", "basys3", "icebreaker"}
	cases := []struct {
		port PortInfo
		want []string
	}{
		{ttyS0, nil},
		{artyJTAG, nil},
		{artyUART, all},
		{macUART, all},
		{cp2102, nil},
		// A non-USB port never matches, whatever its (meaningless) IDs say.
		{PortInfo{Name: "/dev/ttyS1", VID: 0x0403, PID: 0x6010, Interface: 1}, nil},
	}
	ports := make([]PortInfo, len(cases))
	for i, c := range cases {
		ports[i] = c.port
		ports[i].Boards = []string{"stale"}
	}
	MatchBoards(ports)
	for i, c := range cases {
		if !reflect.DeepEqual(ports[i].Boards, c.want) {
			t.Errorf("%s: Boards = %q, want %q", c.port, ports[i].Boards, c.want)
		}
	}
}

func TestPortInfo(t *testing.T) {
	d := &enumerator.PortDetails{Name: "/dev/ttyUSB1", IsUSB: true, VID: "0403", PID: "6010", SerialNumber: "S", Product: "P"}
	want := PortInfo{Name: "/dev/ttyUSB1", USB: true, VID: 0x0403, PID: 0x6010, Interface: -1, Serial: "S", Product: "P"}
	if got := portInfo(d); !reflect.DeepEqual(got, want) {
		t.Errorf("portInfo = %+v, want %+v", got, want)
	}
	if got := portInfo(&enumerator.PortDetails{Name: "/dev/ttyS0", VID: "zz"}); got.USB || got.VID != 0 || got.Interface != -1 {
		t.Errorf("non-USB port converted to %+v", got)
	}
}

// TestSysfsInterface builds the sysfs links Linux makes for a usb-serial port (the
// tty is a child of the interface), a CDC-ACM port (the tty's device is the interface)
// and a platform UART (no interface).
func TestSysfsInterface(t *testing.T) {
	root := t.TempDir()
	devices := filepath.Join(root, "devices")
	usbIface := filepath.Join(devices, "usb1", "1-1", "1-1:1.1")
	acmIface := filepath.Join(devices, "usb1", "1-2", "1-2:1.0")
	platform := filepath.Join(devices, "platform", "serial8250")
	for _, dir := range []string{filepath.Join(usbIface, "ttyUSB1"), acmIface, platform} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(usbIface, "bInterfaceNumber"), []byte("01\n"), 0o644)
	os.WriteFile(filepath.Join(acmIface, "bInterfaceNumber"), []byte("00\n"), 0o644)
	class := filepath.Join(root, "class", "tty")
	links := map[string]string{
		"ttyUSB1": filepath.Join(usbIface, "ttyUSB1"),
		"ttyACM0": acmIface,
		"ttyS0":   platform,
	}
	for name, target := range links {
		os.MkdirAll(filepath.Join(class, name), 0o755)
		if err := os.Symlink(target, filepath.Join(class, name, "device")); err != nil {
			t.Skipf("cannot make symlinks here: %v", err)
		}
	}
	for port, want := range map[string]int{"/dev/ttyUSB1": 1, "/dev/ttyACM0": 0, "/dev/ttyS0": -1, "/dev/ttyUSB9": -1} {
		if got := sysfsInterface(class, port); got != want {
			t.Errorf("sysfsInterface(%s) = %d, want %d", port, got, want)
		}
	}
}

// TestListPorts runs the real enumerator: whatever the machine has, the list is
// sorted, matched, and never nil.
func TestListPorts(t *testing.T) {
	ports, err := ListPorts()
	if err != nil {
		t.Fatal(err)
	}
	if ports == nil {
		t.Fatal("ListPorts returned nil, want an empty list")
	}
	for i, p := range ports {
		if i > 0 && ports[i-1].Name > p.Name {
			t.Errorf("not sorted: %s before %s", ports[i-1].Name, p.Name)
		}
		if !p.USB && (p.Interface != -1 || len(p.Boards) > 0) {
			t.Errorf("non-USB port %+v", p)
		}
	}
}
