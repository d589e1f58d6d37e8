package compiler_test

import (
	"flag"
	"fmt"
	"runtime"
	"testing"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/lsnn/gen"
)

var bench1M = flag.Bool("bench1m", false, "also benchmark compiling 1,000,000 neurons (minutes, several GB)")

// BenchmarkCompile compiles random networks of 100 synapses per neuron (snnc gen's
// defaults: uniform connectivity, the worst case for axons) for loihi-mesh. It
// reports synapses per second and the memory the runtime obtained from the OS (an
// upper bound of the peak heap). The 1M case runs with -bench1m.
//
//	go test ./compiler -run '^$' -bench Compile -benchtime 1x [-bench1m]
func BenchmarkCompile(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if *bench1M {
		sizes = append(sizes, 1_000_000)
	}
	tg := target(b, "loihi-mesh")
	for _, n := range sizes {
		for _, loc := range []float64{0, 0.9} {
			b.Run(fmt.Sprintf("neurons=%d/locality=%g", n, loc), func(b *testing.B) {
				cfg := gen.Default(n, 100, 1)
				cfg.Locality = loc
				net, err := gen.Sparse(cfg)
				if err != nil {
					b.Fatal(err)
				}
				syn := net.In.NNZ() + net.Rec.NNZ() + net.Out.NNZ()
				opt := compiler.Options{ModelHash: [32]byte{1}}
				runtime.GC()
				b.ResetTimer()
				var cores int
				for b.Loop() {
					img, _, err := compiler.Compile(net, tg, opt)
					if err != nil {
						b.Fatal(err)
					}
					cores = len(img.Cores)
				}
				b.StopTimer()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				b.ReportMetric(float64(syn)*float64(b.N)/b.Elapsed().Seconds(), "synapses/s")
				b.ReportMetric(float64(ms.Sys)/(1<<20), "MB-sys")
				b.ReportMetric(float64(cores), "cores")
			})
		}
	}
}

// BenchmarkValidate validates the image of a uniform random network (the case where
// every fan-out entry names a random core) for loihi-mesh: the check the compiler
// runs after emit and WriteTo runs again. The 1M case runs with -bench1m.
//
//	go test ./compiler -run '^$' -bench Validate -benchtime 1x [-bench1m]
func BenchmarkValidate(b *testing.B) {
	sizes := []int{100_000}
	if *bench1M {
		sizes = append(sizes, 1_000_000)
	}
	tg := target(b, "loihi-mesh")
	for _, n := range sizes {
		b.Run(fmt.Sprintf("neurons=%d", n), func(b *testing.B) {
			net, err := gen.Sparse(gen.Default(n, 100, 1))
			if err != nil {
				b.Fatal(err)
			}
			img, _, err := compiler.Compile(net, tg, compiler.Options{ModelHash: [32]byte{1}})
			if err != nil {
				b.Fatal(err)
			}
			net = nil
			runtime.GC()
			b.ResetTimer()
			for b.Loop() {
				if err := img.Validate(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
