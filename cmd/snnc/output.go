package main

import (
	"encoding/json"
	"fmt"
	"io"
)

// printJSON writes v as indented JSON: the --json report of every command.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("json: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
