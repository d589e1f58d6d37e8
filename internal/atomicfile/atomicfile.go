// Package atomicfile writes files so that a reader, or a user whose run was
// interrupted, sees either the old file or the complete new one, never a part.
//
// The data goes to a temporary file in the destination's directory (so that the final
// rename stays on one file system), is synced, and is then renamed over the
// destination. On any error the temporary file is removed and the destination is
// left as it was.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile writes data to path atomically, with permissions perm for a new file.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write calls fill with a writer on a temporary file and, when fill succeeds, renames
// the file to path. When fill or any file operation fails, path is left untouched.
func Write(path string, perm os.FileMode, fill func(io.Writer) error) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// File is a temporary file in the destination's directory that becomes the
// destination on Commit. It is for writers that cannot hand Write a fill function,
// such as one that writes from another goroutine.
type File struct {
	f    *os.File
	path string
	perm os.FileMode
	done bool
}

// Create starts a file that Commit will put at path, with permissions perm for a new
// file.
func Create(path string, perm os.FileMode) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("atomicfile: %w", err)
	}
	return &File{f: f, path: path, perm: perm}, nil
}

// Write writes to the temporary file.
func (f *File) Write(p []byte) (int, error) { return f.f.Write(p) }

// Commit syncs the file and renames it to its destination. On failure the temporary
// file is removed and the destination left as it was.
func (f *File) Commit() (err error) {
	if f.done {
		return fmt.Errorf("atomicfile: %s: already committed or aborted", f.path)
	}
	defer func() {
		if err != nil {
			f.Abort()
		}
	}()
	if err = f.f.Chmod(f.perm); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err = f.f.Sync(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err = f.f.Close(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	f.done = true
	if err = os.Rename(f.f.Name(), f.path); err != nil {
		os.Remove(f.f.Name())
		return fmt.Errorf("atomicfile: %w", err)
	}
	return nil
}

// Abort removes the temporary file; the destination is left as it was. It does
// nothing after Commit or a first Abort.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.f.Close()
	os.Remove(f.f.Name())
}
