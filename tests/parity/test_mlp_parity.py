#!/usr/bin/python3
"""Parity of warmstart's forward, loss, backward and optimizers with PyTorch.

    /usr/bin/python3 tests/parity/test_mlp_parity.py BUILD_DIR

For each model (the paper's MLP 3072-100-100-10, MLP 784-100-100-10 and
logistic regression 3072-10) and batch size (128 and an odd 7): random weights,
inputs and labels are written to a safetensors file, BUILD_DIR/parity_tool runs
one forward/backward and 3 optimizer steps on them, and its logits, loss and
every gradient are compared with PyTorch within 1e-4 (max|a-b| / max|ref|),
its parameters after 1 and 3 steps within 1e-5, for torch.optim.SGD (plain,
momentum, Nesterov, weight decay) and torch.optim.Adam / AdamW.
"""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, build_dir, import_torch, make_modules, rel_err  # noqa: E402

torch = import_torch()
import numpy as np  # noqa: E402

import st  # noqa: E402

F = torch.nn.functional
MLP, LogReg = make_modules(torch)

FWD_TOL = 1e-4   # logits, loss, gradients
OPT_TOL = 1e-5   # parameters after optimizer steps
STEPS = 3

# (label, parity_tool model spec, constructor)
MODELS = [
    ("mlp 3072-100-100-10", "mlp:3072:100,100:10", lambda: MLP(3072, (100, 100), 10)),
    ("mlp 784-100-100-10", "mlp:784:100,100:10", lambda: MLP(784, (100, 100), 10)),
    ("logreg 3072-10", "logreg:3072:10", lambda: LogReg(3072, 10)),
]
BATCHES = [128, 7]

# (label, parity_tool flags, torch optimizer factory)
OPTIMIZERS = [
    ("SGD lr 0.1", ["--opt", "sgd", "--lr", "0.1"],
     lambda p: torch.optim.SGD(p, lr=0.1)),
    ("SGD lr 0.1 momentum 0.9", ["--opt", "sgd", "--lr", "0.1", "--momentum", "0.9"],
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    ("SGD lr 0.1 momentum 0.9 nesterov", ["--opt", "sgd", "--lr", "0.1", "--momentum", "0.9", "--nesterov"],
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD lr 0.1 wd 1e-2", ["--opt", "sgd", "--lr", "0.1", "--wd", "1e-2"],
     lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=1e-2)),
    ("SGD lr 0.1 momentum 0.9 wd 1e-2", ["--opt", "sgd", "--lr", "0.1", "--momentum", "0.9", "--wd", "1e-2"],
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-2)),
    ("Adam lr 1e-3", ["--opt", "adam", "--lr", "1e-3"],
     lambda p: torch.optim.Adam(p, lr=1e-3)),
    ("Adam lr 1e-3 betas (0.8,0.99) eps 1e-6", ["--opt", "adam", "--lr", "1e-3", "--beta1", "0.8", "--beta2", "0.99",
                                                 "--eps", "1e-6"],
     lambda p: torch.optim.Adam(p, lr=1e-3, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam lr 1e-3 wd 1e-2", ["--opt", "adam", "--lr", "1e-3", "--wd", "1e-2"],
     lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=1e-2)),
    ("AdamW lr 1e-3 wd 1e-2", ["--opt", "adam", "--lr", "1e-3", "--wd", "1e-2", "--adamw"],
     lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=1e-2)),
]


def run_tool(tool, spec, in_path, out_path, flags):
    cmd = [tool, "step", spec, in_path, out_path, "--steps", str(STEPS), "--trace", "--threads", "1", *flags]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
    out, _ = st.load(out_path)
    return out


def reference_forward(ctor, state, x, y):
    """Logits, loss and gradients in float64 from the same float32 weights and data."""
    m = ctor().double()
    m.load_state_dict({k: v.double() for k, v in state.items()}, strict=True)
    logits = m(x.double())
    loss = F.cross_entropy(logits, y)
    loss.backward()
    grads = {n: p.grad.numpy() for n, p in m.named_parameters()}
    return logits.detach().numpy(), loss.item(), grads


def torch_steps(ctor, state, x, y, make_opt, grads_from=None):
    """Parameters after each of STEPS torch optimizer steps on the batch (float32).
    With grads_from (parity_tool's trace), step k uses warmstart's gradient of step k
    instead of torch's own: that checks the update rule alone."""
    m = ctor()
    m.load_state_dict(state, strict=True)
    opt = make_opt(m.parameters())
    snaps = []
    for k in range(1, STEPS + 1):
        opt.zero_grad()
        if grads_from is None:
            F.cross_entropy(m(x), y).backward()
        else:
            for n, p in m.named_parameters():
                p.grad = torch.from_numpy(grads_from[f"step{k}.grad.{n}"].copy())
        opt.step()
        snaps.append({n: p.detach().numpy().copy() for n, p in m.named_parameters()})
    return snaps


def worst(errs):
    name = max(errs, key=errs.get)
    return errs[name], name


def main():
    tool = os.path.join(build_dir(), "parity_tool")
    rep = Report()
    if not rep.check(os.access(tool, os.X_OK), f"{tool} exists (make all)"):
        rep.finish()
    maxima = {}

    def note(kind, e):
        maxima[kind] = max(maxima.get(kind, 0.0), e)

    with tempfile.TemporaryDirectory(prefix="ws-parity-") as tmp:
        for mi, (label, spec, ctor) in enumerate(MODELS):
            for B in BATCHES:
                torch.manual_seed(1000 * mi + B)
                ref_model = ctor()  # PyTorch's default init
                state = {k: v.detach().clone() for k, v in ref_model.state_dict().items()}
                in_features = state[next(iter(state))].shape[1]
                x = torch.randn(B, in_features)
                y = torch.randint(0, 10, (B,))
                in_path = os.path.join(tmp, "in.safetensors")
                out_path = os.path.join(tmp, "out.safetensors")
                st.save({**state, "x": x, "y": y}, in_path)
                tag = f"{label} B={B}"

                r_logits, r_loss, r_grads = reference_forward(ctor, state, x, y)
                for oi, (olabel, flags, make_opt) in enumerate(OPTIMIZERS):
                    try:
                        out = run_tool(tool, spec, in_path, out_path, flags)
                    except RuntimeError as e:
                        rep.check(False, f"{tag} {olabel}: {e}")
                        continue
                    if oi == 0:
                        e = rel_err(out["logits"], r_logits)
                        note("logits", e)
                        rep.check(e <= FWD_TOL, f"{tag}: logits rel err {e:.2e}")
                        e = rel_err(out["loss"], r_loss)
                        note("loss", e)
                        rep.check(e <= FWD_TOL, f"{tag}: loss {float(out['loss']):.6f} vs {r_loss:.6f} rel err {e:.2e}")
                        errs = {n: rel_err(out.get(f"grad.{n}", np.empty(0)), g) for n, g in r_grads.items()}
                        extra = sorted(k for k in out if k.startswith("grad.") and k[5:] not in r_grads)
                        e, n = worst(errs)
                        note("grad", e)
                        rep.check(e <= FWD_TOL and not extra,
                                  f"{tag}: gradients of {', '.join(r_grads)} rel err <= {e:.2e} (worst {n})"
                                  + (f"; unexpected {extra}" if extra else ""))
                    forced = torch_steps(ctor, state, x, y, make_opt, grads_from=out)
                    free = torch_steps(ctor, state, x, y, make_opt)
                    for k in (1, STEPS):
                        mine = out[f"step{k}.param." + next(iter(state))] if False else None  # noqa
                        got = {n: out[f"step{k}.param.{n}"] for n in state}
                        if k == STEPS:
                            assert all(np.array_equal(got[n], out[f"param.{n}"]) for n in state)
                        ef, nf = worst({n: rel_err(got[n], forced[k - 1][n]) for n in state})
                        ee, ne = worst({n: rel_err(got[n], free[k - 1][n]) for n in state})
                        note("update rule", ef)
                        note("end-to-end", ee)
                        rep.check(ef <= OPT_TOL and ee <= OPT_TOL,
                                  f"{tag} {olabel}: params after {k} step{'s' if k > 1 else ''}: "
                                  f"rel err {ee:.2e} (worst {ne}), same gradients {ef:.2e} (worst {nf})")
    print("# max rel errors: " + ", ".join(f"{k} {v:.2e}" for k, v in maxima.items()))
    rep.finish()


if __name__ == "__main__":
    main()
