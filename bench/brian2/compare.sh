#!/bin/sh
# Runs one network on the same inputs in snnc's emulator (fast and cycle mode), snnc's
# float reference simulator and Brian2, one after the other on this machine, and
# prints each one's speed and the ratios.
#
#   bench/brian2/compare.sh [MODEL] [TARGET] [SAMPLES] [STEPS] [RATE]
#
# defaults: testdata/models/smnist.bin, loihi, 8 samples of 840 steps, input rate
# 0.02 spikes per channel per step (Poisson). Needs Go, and Brian2 for the system
# Python: apt-get install -y python3-brian.
set -eu
cd "$(dirname "$0")/../.."
model=${1:-testdata/models/smnist.bin}
target=${2:-loihi}
samples=${3:-8}
steps=${4:-840}
rate=${5:-0.02}
py=${PYTHON:-/usr/bin/python3}
out=${TMPDIR:-/tmp}/snnc-brian2
mkdir -p "$out"
go build -o "$out/snnc" ./cmd/snnc
"$out/snnc" export "$model" -o "$out/model.npz" >/dev/null
"$out/snnc" compile "$model" --target "$target" -o "$out/model.img" >/dev/null
"$py" - "$out/model.npz" "$out/x.npy" "$samples" "$steps" "$rate" <<'PY'
import sys, numpy as np
m = np.load(sys.argv[1]); n_in = m["w_in"].shape[0]
B, T, p = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
x = (np.random.default_rng(1).random((B, T, n_in)) < p).astype(np.uint8)
np.save(sys.argv[2], x)
PY
timed() { # prints the wall seconds of a command
	"$py" -c 'import subprocess, sys, time; t = time.perf_counter(); subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); print(time.perf_counter() - t)' "$@"
}
fast=$(timed "$out/snnc" emulate "$out/model.img" --input "$out/x.npy" --mode fast --report "$out/fast.json")
cycle=$(timed "$out/snnc" emulate "$out/model.img" --input "$out/x.npy" --mode cycle --report "$out/cycle.json")
"$out/snnc" simulate "$model" --input "$out/x.npy" --json > "$out/float.json"
"$py" bench/brian2/lsnn_brian2.py "$out/model.npz" "$out/x.npy" cython > "$out/brian2.json"
"$py" - "$out" "$fast" "$cycle" <<'PY'
import json, os, sys
d = sys.argv[1]
load = lambda n: json.load(open(os.path.join(d, n)))
fast, cycle, flt, br = load("fast.json"), load("cycle.json"), load("float.json"), load("brian2.json")
B, steps = fast["samples"], fast["steps"]
rows = [
    ("snnc emulate --mode fast", float(sys.argv[2]), fast["totals"]["synaptic_ops"], fast["totals"]["spikes"], "wall, process included"),
    ("snnc emulate --mode cycle", float(sys.argv[3]), cycle["totals"]["synaptic_ops"], cycle["totals"]["spikes"], "wall, process included"),
    ("snnc simulate (float64)", flt["seconds"], flt["synaptic_events"], flt["spikes"], "run only; in + rec events"),
    (br["simulator"], br["seconds_per_sample"] * B, br["synaptic_events"], br["spikes"], "run only, first sample (code generation) excluded: %.1f s" % br["first_sample_seconds"]),
]
print("%d samples x %d steps, %s" % (B, steps // B, d))
print("%-32s %10s %12s %14s %10s  %s" % ("simulator", "seconds", "steps/s", "syn events/s", "spikes", "note"))
for name, s, ev, sp, note in rows:
    print("%-32s %10.3f %12.0f %14.3g %10d  %s" % (name, s, steps / s, ev / s, sp, note))
print("emulator fast mode is %.1fx Brian2's steps per second; cycle mode %.1fx" % (rows[3][1] / rows[0][1], rows[3][1] / rows[1][1]))
PY
