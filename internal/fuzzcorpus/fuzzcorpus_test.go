package fuzzcorpus

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCheckWritesThenAccepts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "FuzzX")
	seeds := map[string][]byte{"a": []byte("x\"y\n"), "b": {0, 1, 2}}
	Check(t, dir, seeds, true, "")
	Check(t, dir, seeds, false, "") // must pass: the files were just written
	b, err := os.ReadFile(filepath.Join(dir, "a"))
	if err != nil || string(b) != "go test fuzz v1\n[]byte(\"x\\\"y\\n\")\n" {
		t.Fatalf("corpus file %q, %v", b, err)
	}
	stale := &recorder{TB: t}
	Check(stale, dir, map[string][]byte{"a": []byte("changed")}, false, "")
	if !stale.failed {
		t.Fatal("a stale corpus file was accepted")
	}
}

// recorder notes a failure without failing the test that uses it.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Helper()               {}
