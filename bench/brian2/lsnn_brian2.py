"""Run an snnc LSNN (.npz, docs/npz-schema.md) in Brian2 and time it.

The model is the discrete-time LSNN of lsnn/doc.go, one Brian2 time step per
network step (dt of the model):

    b[t] = rho b[t-1] + (1 - rho) z[t-1]          threshold adaptation
    A[t] = b0 + beta b[t]
    z[t] = V[t-1] > A[t] and not refractory
    V[t] = alpha V[t-1] + (1 - alpha) x[t] - A[t] z[t-1]
    y[t] = kappa y[t-1] + (1 - kappa) sum of w_out over z[t];  out = y + b_out

x[t] sums the input and recurrent synapses that reach step t: an input spike of
step t with delay d and a recurrent spike of step t - d. Brian2 runs, per step:
the input generator and the threshold (emitting the spikes decided in the last
update), then the synapses (on_pre adds into x; a recurrent delay d is a Brian2
delay of d - 1 steps, since the spike is emitted one step after it was decided),
then the update above (run_regularly, when="after_synapses").
"""

import json
import sys
import time

import numpy as np


def load(path):
    z = np.load(path)
    m = {k: z[k] for k in z.files}
    N = m["tau_m"].shape[0]
    m["N"] = N
    m["n_ref"] = np.broadcast_to(m["n_ref"], (N,)).astype(np.int64)
    n_in = m["w_in"].shape[0]
    m.setdefault("d_in", np.zeros((n_in, N), dtype=np.int64))
    if "d_rec" not in m:
        m["d_rec"] = np.ones((N, N), dtype=np.int64)
    return m


def run(model_path, input_path, target="cython"):
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)
    import brian2 as b2

    b2.prefs.codegen.target = target
    b2.prefs.logging.console_log_level = "WARNING"
    m = load(model_path)
    xin = np.load(input_path)
    if xin.ndim == 2:
        xin = xin[None]
    B, T, n_in = xin.shape
    N = m["N"]
    n_out = m["w_out"].shape[1]
    dt = float(m["dt"]) * b2.ms
    b2.defaultclock.dt = dt
    b2.start_scope()

    alpha_m = np.exp(-float(m["dt"]) / m["tau_m"])
    tau_a = np.where(m["beta"] != 0, m["tau_a"], 1.0)
    rho_a = np.where(m["beta"] != 0, np.exp(-float(m["dt"]) / tau_a), 0.0)
    kappa = np.exp(-float(m["dt"]) / float(m["tau_out"]))

    G = b2.NeuronGroup(
        N,
        """
        v : 1
        b : 1
        x : 1
        zprev : 1
        fire : 1
        refr : integer
        alpha : 1 (constant)
        rho : 1 (constant)
        beta : 1 (constant)
        b0 : 1 (constant)
        nref : integer (constant)
        """,
        threshold="fire > 0.5",
        reset="",
        method="exact",
    )
    G.alpha, G.rho, G.beta, G.b0, G.nref = alpha_m, rho_a, m["beta"], m["b0"], m["n_ref"]
    G.run_regularly(
        """
        b = rho*b + (1 - rho)*zprev
        fire = 1.0*int(refr == 0)*int(v > b0 + beta*b)
        refr = int(refr > 0)*(refr - 1) + int(fire > 0.5)*nref
        v = alpha*v + (1 - alpha)*x - (b0 + beta*b)*zprev
        zprev = fire
        x = 0
        """,
        when="after_synapses",
    )
    R = b2.NeuronGroup(n_out, "y : 1\nzin : 1\nbias : 1 (constant)\nout : 1", method="exact")
    R.bias = m["b_out"]
    R.run_regularly("y = %r*y + zin\nout = y + bias\nzin = 0" % kappa, when="after_synapses", order=1)

    inp = b2.SpikeGeneratorGroup(n_in, [0], [0] * b2.ms)
    pre, post = np.nonzero(m["w_in"])
    Sin = b2.Synapses(inp, G, "w : 1", on_pre="x_post += w")
    Sin.connect(i=pre, j=post)
    Sin.w = m["w_in"][pre, post]
    Sin.delay = m["d_in"][pre, post] * dt
    pre, post = np.nonzero(m["w_rec"])
    Srec = b2.Synapses(G, G, "w : 1", on_pre="x_post += w")
    Srec.connect(i=pre, j=post)
    Srec.w = m["w_rec"][pre, post]
    Srec.delay = (m["d_rec"][pre, post] - 1) * dt
    pre, post = np.nonzero(m["w_out"])
    Sout = b2.Synapses(G, R, "w : 1", on_pre="zin_post += w")
    Sout.connect(i=pre, j=post)
    Sout.w = (1 - kappa) * m["w_out"][pre, post]
    mon = b2.SpikeMonitor(G)
    rmon = b2.StateMonitor(R, "out", record=True)
    net = b2.Network(G, R, inp, Sin, Srec, Sout, mon, rmon)
    net.store()

    rows_in = np.count_nonzero(m["w_in"], axis=1)
    rows_rec = np.count_nonzero(m["w_rec"], axis=1) + np.count_nonzero(m["w_out"], axis=1)
    events = 0
    spikes = 0
    build = run_s = 0.0
    first = True
    for s in range(B):
        net.restore()
        t_idx, ch = np.nonzero(xin[s])
        start = time.perf_counter()
        inp.set_spikes(ch, t_idx * dt)
        # One extra step, so that the spikes decided in the last step are emitted
        # and counted, as the other simulators count them.
        net.run((T + 1) * dt)
        el = time.perf_counter() - start
        if first:
            build, first = el, False
        else:
            run_s += el
        sp = np.asarray(mon.i[:])
        spikes += len(sp)
        events += int(rows_in[ch].sum() + rows_rec[sp].sum())
    steps = B * T
    per_sample = run_s / max(B - 1, 1)
    return {
        "simulator": "brian2 %s (%s)" % (b2.__version__, target),
        "samples": B,
        "steps": steps,
        "spikes": spikes,
        "synaptic_events": events,
        "first_sample_seconds": build,
        "seconds_per_sample": per_sample,
        "steps_per_second": T / per_sample if per_sample > 0 else 0,
        "synaptic_events_per_second": events / B / per_sample if per_sample > 0 else 0,
    }


if __name__ == "__main__":
    target = sys.argv[3] if len(sys.argv) > 3 else "cython"
    print(json.dumps(run(sys.argv[1], sys.argv[2], target), indent=2))
