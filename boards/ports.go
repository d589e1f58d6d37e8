package boards

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"go.bug.st/serial/enumerator"
)

// PortInfo is one serial port the system lists.
type PortInfo struct {
	Name      string // "/dev/ttyUSB1"
	USB       bool
	VID, PID  uint16
	Interface int      // USB interface number, -1 when unknown
	Serial    string   // USB serial number
	Product   string   // USB product string
	Boards    []string // names of boards whose bridge this port matches
}

// ID is the port's "VID:PID" in lower-case hex, or "" when it is not a USB port.
func (p PortInfo) ID() string {
	if !p.USB {
		return ""
	}
	return fmt.Sprintf("%04x:%04x", p.VID, p.PID)
}

// String describes the port for messages:
// "/dev/ttyUSB1 (0403:6010, interface 1, Digilent USB Device, serial 210319A8B8A0)".
func (p PortInfo) String() string {
	if !p.USB {
		return p.Name + " (not USB)"
	}
	parts := []string{p.ID()}
	if p.Interface >= 0 {
		parts = append(parts, fmt.Sprintf("interface %d", p.Interface))
	}
	if p.Product != "" {
		parts = append(parts, p.Product)
	}
	if p.Serial != "" {
		parts = append(parts, "serial "+p.Serial)
	}
	return p.Name + " (" + strings.Join(parts, ", ") + ")"
}

// sysClassTTY is where Linux describes tty devices.
const sysClassTTY = "/sys/class/tty"

// ListPorts returns the serial ports the system lists, sorted by name, with Boards
// filled by MatchBoards. A system without serial ports gives an empty list.
func ListPorts() ([]PortInfo, error) {
	details, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, fmt.Errorf("boards: listing serial ports: %w", err)
	}
	ports := make([]PortInfo, 0, len(details))
	for _, d := range details {
		// The Linux enumerator returns an empty entry, name included, for a port
		// without a sysfs device; there is nothing to open.
		if d == nil || d.Name == "" {
			continue
		}
		p := portInfo(d)
		if p.USB && runtime.GOOS == "linux" {
			// The enumerator does not say which interface of a multi-port bridge a
			// port is, and the FT2232H boards need the second one.
			p.Interface = sysfsInterface(sysClassTTY, p.Name)
		}
		ports = append(ports, p)
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i].Name < ports[j].Name })
	MatchBoards(ports)
	return ports, nil
}

// portInfo converts the enumerator's description; VID and PID stay 0 when they are
// not hex.
func portInfo(d *enumerator.PortDetails) PortInfo {
	p := PortInfo{Name: d.Name, USB: d.IsUSB, Interface: -1, Serial: d.SerialNumber, Product: d.Product}
	if p.USB {
		vid, _ := strconv.ParseUint(d.VID, 16, 16)
		pid, _ := strconv.ParseUint(d.PID, 16, 16)
		p.VID, p.PID = uint16(vid), uint16(pid)
	}
	return p
}

// sysfsInterface returns the USB interface number of the tty port (a device path
// such as /dev/ttyUSB1), read from sysfs under root, or -1. The tty's device link
// points at the USB interface itself for a CDC-ACM port (ttyACM*) and at a child of
// it for a usb-serial port (ttyUSB*), so both that directory and its parent are tried.
func sysfsInterface(root, port string) int {
	dev, err := filepath.EvalSymlinks(filepath.Join(root, filepath.Base(port), "device"))
	if err != nil {
		return -1
	}
	for _, dir := range []string{dev, filepath.Dir(dev)} {
		b, err := os.ReadFile(filepath.Join(dir, "bInterfaceNumber"))
		if err != nil {
			continue
		}
		// The kernel writes it as two hex digits ("01").
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 16, 8); err == nil {
			return int(n)
		}
	}
	return -1
}

// MatchBoards fills each port's Boards with the boards whose bridge it matches.
func MatchBoards(ports []PortInfo) {
	all := Boards()
	for i := range ports {
		ports[i].Boards = nil
		for _, b := range all {
			if matches(b, ports[i]) {
				ports[i].Boards = append(ports[i].Boards, b.Name)
			}
		}
	}
}

// matches reports whether p may be b's UART: a USB port of the bridge's VID:PID and,
// when both the port's and the board's interface are known, the UART's interface.
func matches(b *Board, p PortInfo) bool {
	if !p.USB || p.VID != b.USB.VID || p.PID != b.USB.PID {
		return false
	}
	return p.Interface < 0 || b.USB.Interface < 0 || p.Interface == b.USB.Interface
}

// FindPort returns the one port among ports that matches b's bridge. When none or
// several match, the error lists every port it saw and says to name one with --port.
func FindPort(b *Board, ports []PortInfo) (string, error) {
	var found []PortInfo
	for _, p := range ports {
		if matches(b, p) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 1:
		return found[0].Name, nil
	case 0:
		return "", fmt.Errorf("boards: %s: no serial port matches its %s; ports seen: %s; plug the board in or name the port with --port",
			b.Name, b.USB, portList(ports))
	}
	why := ""
	if others := sharingBoards(b); len(others) > 0 {
		why = fmt.Sprintf(" (%s use the same bridge)", strings.Join(others, ", "))
	}
	return "", fmt.Errorf("boards: %s: %d serial ports match its %s, so the choice is ambiguous%s: %s; name the port with --port",
		b.Name, len(found), b.USB, why, portList(found))
}

// portList describes ports for an error, or says there were none.
func portList(ports []PortInfo) string {
	if len(ports) == 0 {
		return "none"
	}
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// sharingBoards names the other known boards with b's VID:PID: a port cannot tell
// them apart, which is why several may match.
func sharingBoards(b *Board) []string {
	var names []string
	for _, o := range Boards() {
		if o.Name != b.Name && o.USB.VID == b.USB.VID && o.USB.PID == b.USB.PID {
			names = append(names, o.Name)
		}
	}
	return names
}
