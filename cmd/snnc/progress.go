package main

import (
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// bar is a progress bar on standard error. When standard error is not a terminal
// (a log file, CI) it draws nothing, so logs stay readable.
type bar struct {
	pb *progressbar.ProgressBar
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newBar(e *env, total int64, desc string) *bar {
	return newBarWith(e, total, desc, progressbar.OptionShowIts(), progressbar.OptionThrottle(200*time.Millisecond))
}

// newByteBar is a bar over bytes: count, rate and time left in bytes.
func newByteBar(e *env, total int64, desc string) *bar {
	return newBarWith(e, total, desc, progressbar.OptionShowBytes(true), progressbar.OptionThrottle(100*time.Millisecond))
}

func newBarWith(e *env, total int64, desc string, opts ...progressbar.Option) *bar {
	if !isTerminal(e.stderr) {
		return &bar{}
	}
	return &bar{pb: progressbar.NewOptions64(total, append([]progressbar.Option{
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetWidth(24),
		progressbar.OptionClearOnFinish(),
	}, opts...)...)}
}

func (b *bar) Set(n int) {
	if b.pb != nil {
		b.pb.Set(n)
	}
}

func (b *bar) Describe(s string) {
	if b.pb != nil {
		b.pb.Describe(s)
	}
}

func (b *bar) Finish() {
	if b.pb != nil {
		b.pb.Finish()
	}
}
