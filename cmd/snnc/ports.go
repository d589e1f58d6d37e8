package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/snnc/snnc/boards"
)

type portsCmd struct {
	JSON bool `help:"Print the list as JSON."`
}

// portSummary is one port of `snnc ports --json`.
type portSummary struct {
	Name      string   `json:"name"`
	USB       bool     `json:"usb"`
	VID       string   `json:"vid,omitempty"` // hex, as lsusb prints it
	PID       string   `json:"pid,omitempty"`
	Interface int      `json:"interface"` // -1: unknown
	Serial    string   `json:"serial,omitempty"`
	Product   string   `json:"product,omitempty"`
	Boards    []string `json:"boards"` // boards whose bridge the port matches; never null
}

func (c *portsCmd) Run(e *env) error {
	ports, err := boards.ListPorts()
	if err != nil {
		return err
	}
	list := make([]portSummary, 0, len(ports)) // --json prints [] when there are none
	for _, p := range ports {
		s := portSummary{Name: p.Name, USB: p.USB, Interface: p.Interface, Serial: p.Serial, Product: p.Product, Boards: p.Boards}
		if p.USB {
			s.VID, s.PID = fmt.Sprintf("%04x", p.VID), fmt.Sprintf("%04x", p.PID)
		}
		if s.Boards == nil {
			s.Boards = []string{}
		}
		list = append(list, s)
	}
	if c.JSON {
		return printJSON(e.stdout, list)
	}
	if len(list) == 0 {
		fmt.Fprintln(e.stdout, "no serial ports found")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "port\tusb id\tinterface\tproduct\tserial\tboards")
	for _, s := range list {
		id := "-"
		if s.USB {
			id = s.VID + ":" + s.PID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, id, ifaceText(s.Interface), portCell(s.Product), portCell(s.Serial), portCell(strings.Join(s.Boards, ", ")))
	}
	return tw.Flush()
}

// portCell stands in for an empty table cell.
func portCell(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
