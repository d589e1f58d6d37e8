// Package fuzzcorpus keeps a fuzz target's committed seed corpus equal to seeds that
// code makes (valid files of a format, presets), so that a format change cannot leave
// the fuzzer starting from stale inputs. Tests call Check; with update set they
// rewrite the files instead.
package fuzzcorpus

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// File is the encoding go test uses for a corpus entry holding one []byte input.
func File(data []byte) []byte {
	return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n")
}

// Check requires dir/name to hold File(seeds[name]) for every seed, or, when update
// is set, writes them. how tells the reader the command that refreshes the corpus.
func Check(t testing.TB, dir string, seeds map[string][]byte, update bool, how string) {
	t.Helper()
	names := make([]string, 0, len(seeds))
	for name := range seeds {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := filepath.Join(dir, name)
		want := File(seeds[name])
		if update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (refresh with: %s)", err, how)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date (refresh with: %s)", p, how)
		}
	}
}
