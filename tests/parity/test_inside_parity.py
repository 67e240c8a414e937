#!/usr/bin/env python3
"""Measurements inside the network against an independent NumPy/PyTorch computation.

For a small MLP (with units made dead and weak on purpose), a ResNet-18 of width 4 and Kumar et
al.'s small CNN with 16 channels (plain NCHW on every backend), each
with fixed weights, BatchNorm statistics and an initialisation, and a probe larger than the
planned batch (so the engine goes through it in chunks), `parity_tool inside` prints the
engine's measurement (nn/inside.h) and this script computes every measure again from the
definitions in docs/MEASUREMENTS.md, in float64:

  per hidden layer (post-ReLU outputs, eval mode): ReDo's tau-dormant share for tau in
  {0, 0.025, 0.1} (score = mean |h| over examples and positions / (mean score + 1e-9),
  dormant when <= tau), Dohare et al.'s dormant share (active (> 0) on < 1 % of the
  examples x positions), the share of outputs > 0;
  the penultimate features (the last Linear layer's input): srank at delta 0.01 and the
  effective rank, from numpy's SVD;
  each weight matrix (conv weights as O x C*KH*KW): the stable rank;
  mean |theta|, ||theta||, ||theta - theta0||, and the norm of the gradient of the mean
  cross-entropy in train mode, chunk by chunk as the engine cuts the probe (BatchNorm's batch
  statistics are each chunk's), each chunk's mean gradient weighted by its share.

Both backends (reference, onednn: blocked nChw16c activations for 16 and 32 channels).
Usage: test_inside_parity.py BUILD_DIR (exit 77: PyTorch missing)."""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, build_dir, import_torch, make_modules, make_resnet  # noqa: E402

torch = import_torch()
import numpy as np  # noqa: E402

import st  # noqa: E402

TAUS = (0.0, 0.025, 0.1)
REDO_EPS = 1e-9
DOHARE = 0.01
DELTA = 0.01
BACKENDS = ("reference", "onednn")
REL = 1e-4  # float32 engine against float64 reference: continuous measures
ACTIVE_ABS = 1e-4  # share of outputs > 0: a pre-activation within rounding of 0 may flip


# ---- the definitions, in float64 ----

def unit_measures(h):
    """h: (B, C) or (B, C, H, W) post-activation outputs."""
    axes = (0,) if h.ndim == 2 else (0, 2, 3)
    score = np.abs(h).mean(axis=axes)
    norm = score / (score.mean() + REDO_EPS)
    rate = (h > 0).mean(axis=axes)
    return {
        "redo": [float((norm <= t).mean()) for t in TAUS],
        "dohare": float((rate < DOHARE).mean()),
        "active": float((h > 0).mean()),
    }


def srank(sv):
    frac = np.cumsum(sv) / sv.sum()
    return int(np.sum(frac < 1 - DELTA)) + 1  # least k with the share >= 1 - delta


def effective_rank(sv):
    p = sv / sv.sum()
    p = p[p > 0]
    return float(np.exp(-(p * np.log(p)).sum()))


def stable_rank(w):
    sv = np.linalg.svd(w.reshape(w.shape[0], -1), compute_uv=False)
    return float((sv ** 2).sum() / sv[0] ** 2)


def reference(model, hidden_of, state, init, x, y, chunk):
    """The measures of `model` (float64, state loaded) on the probe x, y."""
    model.load_state_dict(state)
    model.eval()
    with torch.no_grad():
        hidden, feats = hidden_of(model, x)
    units = [unit_measures(h.numpy()) for h in hidden]
    sv = np.linalg.svd(feats.numpy(), compute_uv=False)
    params = dict(model.named_parameters())
    theta = np.concatenate([p.detach().numpy().ravel() for p in params.values()])
    theta0 = np.concatenate([init[n].astype(np.float64).ravel() for n in params])
    # The gradient: train mode, the engine's chunks, each chunk's mean gradient weighted.
    model.train()
    total = {n: torch.zeros_like(p) for n, p in params.items()}
    B = x.shape[0]
    for s in range(0, B, chunk):
        xb, yb = x[s:s + chunk], y[s:s + chunk]
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(xb), yb).backward()
        for n, p in params.items():
            total[n] += p.grad * (xb.shape[0] / B)
    grad = np.concatenate([g.numpy().ravel() for g in total.values()])
    return {
        "units": units,
        "dim": feats.shape[1],
        "srank": srank(sv),
        "effective_rank": effective_rank(sv),
        "weights": {n: stable_rank(p.detach().numpy()) for n, p in params.items() if p.ndim >= 2},
        "param_mean_abs": float(np.abs(theta).mean()),
        "param_norm": float(np.linalg.norm(theta)),
        "param_dist_init": float(np.linalg.norm(theta - theta0)),
        "grad_norm": float(np.linalg.norm(grad)),
    }


# ---- the models ----

def mlp_case():
    MLP, _ = make_modules(torch)
    torch.manual_seed(7)
    init_model = MLP(20, (16, 12), 5)
    init = {k: v.detach().numpy().astype(np.float32) for k, v in init_model.state_dict().items()}
    model = MLP(20, (16, 12), 5)
    with torch.no_grad():
        for (n, p) in model.named_parameters():
            p.copy_(torch.from_numpy(init[n]) + 0.05 * torch.randn_like(p))
        model.lm1.weight[3].zero_()  # unit 3 of the first layer never fires
        model.lm1.bias[3] = -1.0
        model.lm2.bias[0] = -2.5  # unit 0 of the second fires rarely
    state = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}
    x = torch.randn(40, 20)
    y = torch.randint(0, 5, (40,))

    def hidden_of(m, xx):
        h1 = torch.relu(m.lm1(xx))
        h2 = torch.relu(m.lm2(h1))
        return [h1, h2], h2

    return "mlp 20-16-12-5", "mlp:20:16,12:5", model.double(), hidden_of, state, init, x, y, 16


def resnet_case():
    ResNet18, set_relu = make_resnet(torch)
    torch.manual_seed(8)
    init_model = ResNet18(5, 3, 4)
    init = {k: v.detach().numpy().astype(np.float32) for k, v in init_model.state_dict().items()}
    model = ResNet18(5, 3, 4)
    with torch.no_grad():
        for n, p in model.named_parameters():
            p.copy_(torch.from_numpy(init[n]) + 0.05 * torch.randn_like(p))
        for mod in model.modules():  # BatchNorm away from its defaults, so eval mode means something
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.3, 0.3)
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 2.0)
                mod.num_batches_tracked.fill_(3)
    state = {k: (v.detach().float() if v.is_floating_point() else v.detach()).contiguous()
             for k, v in model.state_dict().items()}
    x = torch.randn(10, 3, 32, 32)
    y = torch.randint(0, 5, (10,))

    def hidden_of(m, xx):
        seen, feats = [], []
        set_relu(lambda t: seen.append(torch.relu(t)) or seen[-1])
        hook = m.linear.register_forward_hook(lambda mod, inp, out: feats.append(inp[0]))
        try:
            m(xx)
        finally:
            set_relu(None)
            hook.remove()
        # the stem's ReLU, then each block's inner and output ReLU: the stem and the outputs
        return [seen[0]] + seen[2::2], feats[0]

    return "resnet18 w4", "resnet18:3:32:32:4:5", model.double(), hidden_of, state, init, x, y, 4


def cnn_case():
    """Kumar et al.'s small CNN with 16 channels: on oneDNN its convolutions stay plain NCHW
    (ws_conv_shape.plain), where a ResNet's 16 channels would be blocked."""
    nn = torch.nn

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, 5)
            self.conv2 = nn.Conv2d(16, 16, 5)
            self.fc1 = nn.Linear(16 * 2 * 2, 12)
            self.fc2 = nn.Linear(12, 10)
            self.output_layer = nn.Linear(10, 5)

        def parts(self, x):
            h1 = torch.relu(self.conv1(x))
            h2 = torch.relu(self.conv2(torch.max_pool2d(h1, 2)))
            h3 = torch.relu(self.fc1(torch.flatten(torch.max_pool2d(h2, 2), 1)))
            h4 = torch.relu(self.fc2(h3))
            return [h1, h2, h3, h4], h4

        def forward(self, x):
            return self.output_layer(self.parts(x)[1])

    torch.manual_seed(9)
    init = {k: v.detach().numpy().astype(np.float32) for k, v in CNN().state_dict().items()}
    model = CNN()
    with torch.no_grad():
        for n, p in model.named_parameters():
            p.copy_(torch.from_numpy(init[n]) + 0.05 * torch.randn_like(p))
        model.conv1.bias[5] = -3.0  # channel 5 of the first convolution nearly silent
    state = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}
    x = torch.randn(12, 3, 20, 20)
    y = torch.randint(0, 5, (12,))
    return "cnn c16", "cnn:3:20:20:16:12,10:5", model.double(), lambda m, xx: m.parts(xx), state, init, x, y, 5


def double_state(state):
    return {k: v.double() if v.is_floating_point() else v for k, v in state.items()}


def run_engine(tool, spec, path, backend, plan):
    cmd = [tool, "inside", spec, path, "--backend", backend, "--plan", str(plan)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-12)


def compare(rep, label, got, ref):
    units = got["layers"]
    rep.check(len(units) == len(ref["units"]), f"{label}: {len(units)} hidden layers (expected {len(ref['units'])})")
    worst_active = 0.0
    for g, r in zip(units, ref["units"]):
        rep.check(g["redo_dormant"] == r["redo"],
                  f"{label} {g['name']}: ReDo dormant {g['redo_dormant']} (reference {r['redo']})")
        rep.check(g["dohare_dormant"] == r["dohare"],
                  f"{label} {g['name']}: Dohare dormant {g['dohare_dormant']} (reference {r['dohare']})")
        worst_active = max(worst_active, abs(g["active_fraction"] - r["active"]))
    rep.check(worst_active <= ACTIVE_ABS, f"{label}: active shares within {worst_active:.2e} (bound {ACTIVE_ABS})")
    f = got["features"]
    rep.check(f["dim"] == ref["dim"] and f["srank"] == ref["srank"],
              f"{label}: features d={f['dim']} srank {f['srank']} (reference d={ref['dim']} srank {ref['srank']})")
    e = rel(f["effective_rank"], ref["effective_rank"])
    rep.check(e <= REL, f"{label}: effective rank {f['effective_rank']:.6f} rel err {e:.2e}")
    ws = {w["name"]: w["stable_rank"] for w in got["weights"]}
    rep.check(sorted(ws) == sorted(ref["weights"]), f"{label}: {len(ws)} weight matrices, the reference's names")
    e = max((rel(ws.get(n, float("inf")), v) for n, v in ref["weights"].items()), default=0.0)
    rep.check(e <= REL, f"{label}: stable ranks rel err {e:.2e}")
    for key in ("param_mean_abs", "param_norm", "param_dist_init", "grad_norm"):
        e = rel(got[key], ref[key])
        rep.check(e <= REL, f"{label}: {key} {got[key]:.6g} (reference {ref[key]:.6g}) rel err {e:.2e}")


def main():
    tool = os.path.join(build_dir(), "parity_tool")
    rep = Report()
    if not rep.check(os.access(tool, os.X_OK), f"{tool} exists (make build/parity_tool)"):
        rep.finish()
    with tempfile.TemporaryDirectory(prefix="ws-inside-") as tmp:
        path = os.path.join(tmp, "in.safetensors")
        for case in (mlp_case, resnet_case, cnn_case):
            label, spec, model, hidden_of, state, init, x, y, plan = case()
            st.save({**state, **{f"init.{n}": init[n] for n, _ in model.named_parameters()}, "x": x, "y": y}, path)
            ref = reference(model, hidden_of, state=double_state(state), init=init, x=x.double(),
                            y=y, chunk=plan)
            # the planted dead unit shows, so the comparison is not of zeros alone
            if label.startswith("mlp"):
                rep.check(ref["units"][0]["redo"][0] >= 1 / 16, f"{label}: the reference sees the dead unit")
            for backend in BACKENDS:
                compare(rep, f"{label} [{backend}]", run_engine(tool, spec, path, backend, plan), ref)
    rep.finish()


if __name__ == "__main__":
    main()
