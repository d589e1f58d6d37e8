// Package boards puts chip images on FPGA dev boards and runs them there: board
// specs, serial port detection, the upload and run protocol of
// docs/serial-protocol.md on both of its ends, and a board simulator on a
// pseudo-terminal that speaks it, so that every line of the host side is tested
// through a real terminal device without hardware.
//
// # Boards and ports
//
// A Board is one dev board snnc can flash: its FPGA part and clock, the target whose
// images it runs, its USB-UART bridge (VID:PID, the UART's USB interface, the chip),
// its default and maximum baud rates, MaxFrame, the largest frame payload its
// receive buffer takes, and ImageBytes, the largest image it holds. Specs are
// embedded from data/*.json, one file per board (as with TinyGo's targets); the
// board's name is the file's base name. Every file states "version": 1 and is
// decoded strictly: an unknown or missing field, a target that package targets does
// not know, a default baud above the maximum, a MaxFrame outside 64..65535 is an
// error that starts with "boards: ", names the board and the field, and lists every
// problem.
//
// ListPorts asks go.bug.st/serial's enumerator for the ports (on Linux the UART's
// USB interface comes from sysfs; elsewhere it is -1, unknown), and MatchBoards
// marks each port with the boards whose bridge it matches. FindPort takes the one
// port that matches a board; when none or several do (several boards share the
// FT2232H's 0403:6010), its error lists every port seen and says to name one with
// --port.
//
// # Protocol
//
// Frames are COBS-stuffed between zero delimiters and carry type, sequence number,
// length, payload and a CRC-32 (frame.go); a Reader splits a byte stream into frames
// in bounded memory and reports damage instead of guessing. The host (Client) sends
// one command at a time and resends it on a timeout that scales with the frame's
// line time, or after a sign of damage; the board (Device) answers every command
// with ACK or NAK and replays its last answer when a command is resent, so no command
// runs twice.
//
// # Invariants
//
//   - The board runs only images it has checked completely: staged to the last byte,
//     with the announced CRC-32C, decoded and validated by package chipimage, and
//     compiled for the board's target (name and spec hash). Every refusal leaves the
//     committed image running; an upload never writes it.
//   - An interrupted upload resumes from the bytes the board acknowledged, and only
//     for the same image (same size and CRC-32C).
//   - A run on the board gives the spikes and readouts the emulator gives for the
//     same image and input: the Device steps an emulator Session, which the
//     emulator's differential suite holds to Run.
//   - The host never hangs: reads and writes on the port have deadlines, and a board
//     that stops answering gives an error naming the port and the command.
//   - No input panics the frame decoder or the board's command handler (fuzzed).
//
// Errors start with "boards: ".
package boards
