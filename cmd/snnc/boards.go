package main

import (
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/snnc/snnc/boards"
)

type boardsCmd struct {
	JSON bool `help:"Print the list as JSON."`
}

// boardSummary is one board of `snnc boards --json`; IDs are hex strings, as in the
// board specs and lsusb.
type boardSummary struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	FPGA        string `json:"fpga"`
	ClockHz     int64  `json:"clock_hz"`
	Target      string `json:"target"`
	Bridge      string `json:"bridge"`
	VID         string `json:"vid"`
	PID         string `json:"pid"`
	Interface   int    `json:"interface"` // -1: the bridge has one
	DefaultBaud int    `json:"default_baud"`
	MaxBaud     int    `json:"max_baud"`
	MaxFrame    int    `json:"max_frame"`
	Notes       string `json:"notes,omitempty"`
}

func (c *boardsCmd) Run(e *env) error {
	var list []boardSummary
	for _, b := range boards.Boards() {
		list = append(list, boardSummary{Name: b.Name, Description: b.Description, FPGA: b.FPGA, ClockHz: b.ClockHz,
			Target: b.Target, Bridge: b.USB.Bridge, VID: fmt.Sprintf("%04x", b.USB.VID), PID: fmt.Sprintf("%04x", b.USB.PID),
			Interface: b.USB.Interface, DefaultBaud: b.DefaultBaud, MaxBaud: b.MaxBaud, MaxFrame: b.MaxFrame, Notes: b.Notes})
	}
	if c.JSON {
		return printJSON(e.stdout, list)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "name\tfpga\tclock\ttarget\tbridge\tinterface\tbaud (max)\tmax frame")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s %s:%s\t%s\t%d (%d)\t%d B\n", s.Name, s.FPGA, hertz(s.ClockHz), s.Target,
			s.Bridge, s.VID, s.PID, ifaceText(s.Interface), s.DefaultBaud, s.MaxBaud, s.MaxFrame)
	}
	return tw.Flush()
}

// ifaceText prints a USB interface number, "-" when unknown or there is one.
func ifaceText(i int) string {
	if i < 0 {
		return "-"
	}
	return strconv.Itoa(i)
}
