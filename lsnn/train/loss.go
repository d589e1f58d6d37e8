package train

import (
	"math"

	"github.com/snnc/snnc/lsnn/tasks"
)

// windowLoss scores the readouts y (T x nOut) of one sample: for each window, the
// softmax cross-entropy of the window's mean readout against its label. It adds
// scale x dL/dy into gy (when gy is not nil) and returns the summed loss and the
// number of windows answered right.
func windowLoss(y []float64, nOut int, wins []tasks.Window, scale float64, gy []float64) (loss float64, correct int) {
	logit := make([]float64, nOut)
	for _, w := range wins {
		n := float64(w.End - w.Start)
		clear(logit)
		for t := w.Start; t < w.End; t++ {
			for k := 0; k < nOut; k++ {
				logit[k] += y[t*nOut+k]
			}
		}
		best := 0
		mx := math.Inf(-1)
		for k := range logit {
			logit[k] /= n
			if logit[k] > mx {
				mx, best = logit[k], k
			}
		}
		if best == w.Label {
			correct++
		}
		var z float64
		for _, l := range logit {
			z += math.Exp(l - mx)
		}
		loss += mx + math.Log(z) - logit[w.Label]
		if gy == nil {
			continue
		}
		for k := range logit {
			d := math.Exp(logit[k]-mx) / z
			if k == w.Label {
				d--
			}
			d *= scale / n
			for t := w.Start; t < w.End; t++ {
				gy[t*nOut+k] += d
			}
		}
	}
	return loss, correct
}
