// Package npyarray reads and writes the NumPy .npy arrays that the CLI commands
// `snnc simulate` and `snnc emulate` take and give: input spike rasters, recurrent
// spikes and readout traces.
//
// Shapes are C order (row-major), with an optional leading batch axis:
//
//	X.npy        inputs    [T, nIn] or [B, T, nIn]   0/1 values of any of bool, uint8..uint64,
//	                                                 int8..int64, float16, float32, float64
//	spikes.npy   outputs   [T, N]   or [B, T, N]     uint8, 0/1
//	readout.npy  outputs   [T, nOut] or [B, T, nOut] float64
//
// A file without the batch axis holds exactly one sample; ReadRasters reports which
// form it read, so that the outputs can be written in the same form. Every value of
// an input must be 0 or 1 (for floats: 0.0, -0.0 or 1.0); any other value is an error
// naming its index. Fortran-order (column-major) inputs are accepted and reordered.
//
// Input files are untrusted: the header is bounded before it is read, and the shape
// it claims is checked against the file size before anything is allocated for it.
// Files are written atomically (a temporary file renamed over the destination), in
// .npy format 1.0 as numpy writes it. Every error starts with "npyarray: " and names
// the file.
package npyarray
