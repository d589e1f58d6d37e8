package lsnn

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// LoadFile reads a model in either format snnc knows, told apart by its first bytes:
// model.bin (snnc's own) or .npz (a zip archive of .npy arrays).
func LoadFile(path string) (*Network, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("lsnn: %w", err)
	}
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	f.Close()
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte(modelMagic)):
		return ReadModelFile(path)
	case bytes.HasPrefix(head, []byte("PK")):
		return ReadNPZFile(path)
	}
	return nil, fmt.Errorf("lsnn: %s: neither a model.bin (magic %q) nor an .npz file", path, modelMagic)
}

// SaveFile writes a model in the format its extension names: .npz, or model.bin for
// any other name.
func SaveFile(path string, n *Network) error {
	if strings.EqualFold(filepath.Ext(path), ".npz") {
		return WriteNPZFile(path, n)
	}
	return WriteModelFile(path, n)
}
