package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBoardsJSON(t *testing.T) {
	code, out, stderr := snnc(t, "boards", "--json")
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	var list []boardSummary
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("stdout is not the JSON list: %v\n%s", err, out)
	}
	want := map[string]string{"arty-a7-35t": "artix7-35t", "basys3": "artix7-35t", "icebreaker": "ice40-up5k"}
	for _, b := range list {
		if target, ok := want[b.Name]; ok {
			if b.Target != target || b.VID != "0403" || b.PID != "6010" || b.Interface != 1 {
				t.Errorf("%s: %+v", b.Name, b)
			}
			delete(want, b.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("boards missing from the list: %v\n%s", want, out)
	}
}

func TestBoardsTable(t *testing.T) {
	code, out, stderr := snnc(t, "boards")
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	for _, want := range []string{"max frame", "arty-a7-35t", "XC7A35T-1CPG236C", "12 MHz", "FT2232H 0403:6010", "115200 (3000000)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table does not say %q:\n%s", want, out)
		}
	}
}

// TestPorts lists the machine's real ports: whatever they are, the command succeeds
// and --json prints a list, empty rather than null.
func TestPorts(t *testing.T) {
	code, out, stderr := snnc(t, "ports", "--json")
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	var list []portSummary
	if err := json.Unmarshal([]byte(out), &list); err != nil || list == nil {
		t.Fatalf("stdout is not a JSON list: %v\n%s", err, out)
	}
	for _, p := range list {
		if p.Boards == nil {
			t.Errorf("%s: boards is null", p.Name)
		}
	}
	if code, _, stderr := snnc(t, "ports"); code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
}
