package parallel

import (
	"sync/atomic"
	"testing"
)

func TestForVisitsEachItemOnce(t *testing.T) {
	for _, w := range []int{0, 1, 3, 64} {
		const n = 1000
		var seen [n]atomic.Int32
		var badWorker atomic.Bool
		limit := Workers(w)
		For(n, w, func(worker, i int) {
			if worker < 0 || worker >= limit {
				badWorker.Store(true)
			}
			seen[i].Add(1)
		})
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Fatalf("w=%d: item %d visited %d times", w, i, c)
			}
		}
		if badWorker.Load() {
			t.Fatalf("w=%d: worker index out of range", w)
		}
	}
	For(0, 4, func(int, int) { t.Fatal("called for an empty range") })
}
