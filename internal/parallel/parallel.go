// Package parallel spreads independent work items (the samples of a batch) over
// goroutines. Items are handed out one at a time, so uneven items balance; each
// worker gets a stable index for its own scratch memory. Results must be written to
// per-item slots and combined in item order by the caller, so that they do not
// depend on the number of workers or on scheduling.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Workers returns w, or GOMAXPROCS when w <= 0.
func Workers(w int) int {
	if w <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return w
}

// For calls f(worker, i) for every i in [0, n) on at most w goroutines (GOMAXPROCS
// when w <= 0), and returns when all calls have returned. worker is in [0, w).
func For(n, w int, f func(worker, i int)) {
	w = min(Workers(w), n)
	if w <= 1 {
		for i := 0; i < n; i++ {
			f(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for k := 0; k < w; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(k, i)
			}
		}(k)
	}
	wg.Wait()
}
