package boards

import (
	"fmt"

	"go.bug.st/serial"
)

// OpenSerial opens a serial port at baud bits per second, 8N1, as the boards'
// UARTs run.
func OpenSerial(name string, baud int) (Port, error) {
	p, err := serial.Open(name, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, fmt.Errorf("boards: opening %s at %d baud: %w", name, baud, err)
	}
	// Bytes a board sent before this open (answers to an earlier host) are stale.
	if err := p.ResetInputBuffer(); err != nil {
		p.Close()
		return nil, fmt.Errorf("boards: %s: %w", name, err)
	}
	return p, nil
}
