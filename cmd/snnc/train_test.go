package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/snnc/snnc/lsnn/train"
)

// TestTrainScheduleFlags checks that the learning-rate schedule given on the command
// line reaches the checkpoint, and that --resume changes it only when asked.
func TestTrainScheduleFlags(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "sr.bin")
	ckpt := out + ".ckpt"
	args := []string{"train", "--task", "store-recall", "--batch", "2", "--checkpoint-every", "1", "-o", out}
	load := func() train.Config {
		t.Helper()
		tr, err := train.LoadCheckpoint(ckpt)
		if err != nil {
			t.Fatal(err)
		}
		return tr.Cfg
	}

	if code, _, stderr := snnc(t, append(args, "--iters", "1", "--lr-decay-every", "7")...); code != 0 {
		t.Fatalf("train: status %d: %s", code, stderr)
	}
	if c := load(); c.DecayEvery != 7 || c.LR != 0.01 {
		t.Fatalf("new run: decay every %d, lr %g; want 7 and the default 0.01", c.DecayEvery, c.LR)
	}

	if code, _, stderr := snnc(t, append(args, "--iters", "2", "--resume", ckpt)...); code != 0 {
		t.Fatalf("resume: status %d: %s", code, stderr)
	}
	if c := load(); c.DecayEvery != 7 {
		t.Fatalf("resume without the flag: decay every %d, want the checkpoint's 7", c.DecayEvery)
	}

	code, _, stderr := snnc(t, append(args, "--iters", "3", "--resume", ckpt, "--lr-decay-every", "5000", "--lr", "0.02")...)
	if code != 0 {
		t.Fatalf("resume with a new schedule: status %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "7 -> 5000") {
		t.Errorf("stderr does not announce the new decay interval:\n%s", stderr)
	}
	if c := load(); c.DecayEvery != 5000 || c.LR != 0.02 {
		t.Fatalf("resumed with a new schedule: decay every %d, lr %g; want 5000 and 0.02", c.DecayEvery, c.LR)
	}

	if code, _, stderr := snnc(t, append(args, "--iters", "4", "--lr-decay-every", "-1")...); code != 2 || !strings.Contains(stderr, "--lr-decay-every") {
		t.Errorf("negative --lr-decay-every: status %d, stderr %q; want a usage error", code, stderr)
	}
}
