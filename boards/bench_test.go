package boards

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkFlash uploads the sMNIST image to simulated boards on a clean line at
// 115,200 and 3,000,000 baud. The simulator paces its line at the baud rate, so the
// time is the modelled upload time; efficiency is image bytes over the wire bytes the
// host sent (framing, stuffing, offsets, verification), and line-ms is the time the
// host's bytes alone take at the baud rate, the bound stop-and-wait approaches.
// Run with: go test ./boards -run '^$' -bench Flash -benchtime 1x
func BenchmarkFlash(b *testing.B) {
	for _, c := range []struct{ board, target string }{{"icebreaker", "ice40-up5k"}, {"arty-a7-35t", "artix7-35t"}} {
		img := smnistImage(b, c.target)
		for _, baud := range []int{115_200, 3_000_000} {
			b.Run(fmt.Sprintf("%s/%d", c.board, baud), func(b *testing.B) {
				var rep *FlashReport
				var elapsed time.Duration
				for range b.N {
					sim, err := NewSim(board(b, c.board), baud, Faults{})
					if err != nil {
						b.Fatal(err)
					}
					go sim.Serve()
					port, err := OpenSerial(sim.Path, baud)
					if err != nil {
						b.Fatal(err)
					}
					cl := NewClient(port, sim.Path, sim.Board, baud)
					start := time.Now()
					if rep, err = cl.Flash(img, FlashOptions{}); err != nil {
						b.Fatal(err)
					}
					elapsed += time.Since(start)
					port.Close()
					sim.Close()
				}
				b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/upload")
				b.ReportMetric(rep.Efficiency, "efficiency")
				b.ReportMetric(float64(rep.Link.WireBytes)*10/float64(baud)*1000, "line-ms")
				b.ReportMetric(float64(len(img)), "image-bytes")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
