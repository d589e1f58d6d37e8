package snnc

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/tasks"
)

// TestDefaultModelAccuracyMatchesREADME evaluates the shipped sMNIST model on the
// first 1,000 test digits and requires the figure the README states for it, so that
// the README stays true when the model is retrained.
func TestDefaultModelAccuracyMatchesREADME(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`first\s+1,000\s+test\s+digits:\s+([0-9.]+)%`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md states no accuracy on the first 1,000 test digits")
	}
	want, _ := strconv.ParseFloat(string(m[1]), 64)
	net, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	data, err := tasks.LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	task, err := tasks.NewSMNIST(data, 1)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := lsnn.NewSimulator(net)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tasks.Evaluate(task, 1000, 100, net.N(), tasks.FloatRunner(sim), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%.1f", 100*res.Accuracy); got != string(m[1]) {
		t.Fatalf("the shipped model scores %s%% on the first 1,000 test digits; README.md says %.1f%%", got, want)
	}
}
