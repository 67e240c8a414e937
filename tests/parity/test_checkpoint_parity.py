#!/usr/bin/python3
"""Checkpoints interchange with PyTorch, and evaluate to the same accuracy.

    /usr/bin/python3 tests/parity/test_checkpoint_parity.py BUILD_DIR

1. `warmstart train` (Fashion-MNIST, 2000 examples, 5 epochs, seed 3) saves a
   checkpoint; PyTorch loads it with load_state_dict(strict=True) into the
   official code's MLP (and, the same way, a logistic regression and the tanh
   MLP without biases, --activation tanh --no-bias) and
   evaluates it on the official test set, normalised with the mean/std that
   warmstart reports: the accuracy must equal warmstart's, the loss agree
   within 1e-4.
2. The reverse: a fresh PyTorch MLP's state_dict (and a tanh MLP's without
   biases) saved to safetensors; `warmstart eval --init-from` must report the
   accuracy PyTorch computes.
3. Broken checkpoints (a missing tensor, a wrong shape, an unexpected tensor,
   a wrong dtype) make `warmstart eval` exit non-zero with one line on stderr
   naming the file and the tensor, and nothing on stdout.

On "equal" accuracies: both sides classify the same float32 inputs with the
same float32 weights, but their matrix products sum in different orders
(OpenBLAS's blocking vs PyTorch's kernels), so logits agree only to ~1e-6
relative. An example whose two largest logits are closer than that can go
either way, so at most 1 of the 10000 test examples may differ; the output
says how many near-ties (top-2 margin < 1e-4) there were.
"""

import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, build_dir, import_torch, make_modules, rel_err  # noqa: E402

torch = import_torch()
import numpy as np  # noqa: E402

import st  # noqa: E402

F = torch.nn.functional
MLP, LogReg = make_modules(torch)

SEED = 3
# (label, warmstart's model flags, the PyTorch module): the official code's MLP, logistic
# regression, and the tanh MLP without biases (the authors' earlier code's activation; the
# paper's Figure 6's bias-free network).
MODELS = [
    ("mlp", [], lambda: MLP(784, (100, 100), 10)),
    ("logreg", [], lambda: LogReg(784, 10)),
    ("mlp tanh nobias", ["--activation", "tanh", "--no-bias"], lambda: MLP(784, (100, 100), 10, act="tanh", bias=False)),
]
MAX_DIFF = 1          # test examples that may be classified differently (see above)
LOSS_TOL = 1e-4


def read_idx(path, magic):
    """An IDX file, gzip'd (path.gz) or plain (path), as warmstart accepts both."""
    if os.path.exists(path + ".gz"):
        path += ".gz"
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        raw = f.read()
    m = int.from_bytes(raw[:4], "big")
    if m != magic:
        raise ValueError(f"{path}: magic {m:#x}, expected {magic:#x}")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_test_set(root):
    x = read_idx(os.path.join(root, "t10k-images-idx3-ubyte"), 0x803)
    y = read_idx(os.path.join(root, "t10k-labels-idx1-ubyte"), 0x801)
    return x, y.astype(np.int64)


def normalise(x_u8, mean, std):
    """(x/255 - mean) / std in float32, as torchvision's ToTensor + Normalize (and warmstart)."""
    x = x_u8.reshape(len(x_u8), -1).astype(np.float32) / np.float32(255.0)
    return torch.from_numpy((x - np.float32(mean)) / np.float32(std))


def torch_eval(model, x, y):
    """Accuracy, mean cross-entropy (float64 sum), predictions, and the number of
    near-ties (top-2 logit margin below 1e-4)."""
    model.eval()
    with torch.no_grad():
        logits = model(x)
    pred = logits.argmax(dim=1)
    acc = float((pred == torch.from_numpy(y)).double().mean())
    loss = float(F.cross_entropy(logits.double(), torch.from_numpy(y), reduction="sum")) / len(y)
    top2 = logits.topk(2, dim=1).values
    ties = int(((top2[:, 0] - top2[:, 1]) < 1e-4).sum())
    return acc, loss, ties


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def main():
    b = build_dir()
    ws = os.path.join(b, "warmstart")
    rep = Report()
    if not rep.check(os.access(ws, os.X_OK), f"{ws} exists (make all)"):
        rep.finish()
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="ws-ckpt-") as tmp:
        # ---- 1. warmstart -> torch ------------------------------------------------------
        test_set = None
        for kind, flags, ctor in MODELS:
            ck = os.path.join(tmp, f"{kind.replace(' ', '-')}.safetensors")
            cmd = [ws, "train", "--data", "fashion-mnist", "--model", kind.split()[0], *flags, "--subset", "2000",
                   "--max-epochs", "5", "--seed", str(SEED), "--json", "--save", ck, "--quiet"]
            r = run(cmd)
            if r.returncode != 0 and test_set is None and "fashion-mnist: missing" in r.stderr:
                print(f"skip - Fashion-MNIST not available: {r.stderr.strip()}")
                sys.exit(77)
            if not rep.check(r.returncode == 0, f"warmstart train --model {kind} exits 0"
                             + (f" (got {r.returncode}: {r.stderr.strip()})" if r.returncode else "")):
                continue
            out = json.loads(r.stdout)
            mean, std = out["normalization"]["mean"][0], out["normalization"]["std"][0]
            if test_set is None:
                test_set = load_test_set(out["config"]["data"]["root"])
            x_u8, y = test_set
            x = normalise(x_u8, mean, std)
            rep.check(out["n_eval"] == len(y) == 10000, f"{kind}: n_eval {out['n_eval']} = the 10000 test examples")

            tensors, meta = st.load(ck)
            model = ctor()
            try:
                model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
                loaded = True
            except Exception as e:  # missing / unexpected keys, shape mismatch
                loaded = False
                err = str(e).splitlines()[0]
            if not rep.check(loaded, f"{kind}: torch load_state_dict(strict=True) of {sorted(tensors)}"
                             + ("" if loaded else f": {err}")):
                continue
            rep.check(all(v.dtype == np.float32 for v in tensors.values()) and meta.get("format") == "pt",
                      f"{kind}: tensors F32, metadata {meta}")
            acc, loss, ties = torch_eval(model, x, y)
            ws_acc, ws_loss = out["result"]["test_acc"], out["result"]["test_loss"]
            diff = round(abs(acc - ws_acc) * len(y))
            rep.check(diff <= MAX_DIFF,
                      f"{kind}: test accuracy torch {acc:.4f} vs warmstart {ws_acc:.4f} "
                      f"({diff} example(s) differ, {ties} near-ties)")
            e = rel_err(ws_loss, loss)
            rep.check(e <= LOSS_TOL, f"{kind}: test loss torch {loss:.6f} vs warmstart {ws_loss:.6f}, rel err {e:.1e}")

        if test_set is None:
            rep.finish()

        # ---- 2. torch -> warmstart ------------------------------------------------------
        for label, flags, ctor in (MODELS[0], MODELS[2]):
            torch.manual_seed(SEED)
            fresh = ctor()
            good = os.path.join(tmp, f"torch-{label.replace(' ', '-')}.safetensors")
            state = {k: v.detach().clone() for k, v in fresh.state_dict().items()}
            st.save(state, good, metadata={"format": "pt"})
            r = run([ws, "eval", *flags, "--init-from", good, "--json", "--data", "fashion-mnist", "--seed", str(SEED)])
            if rep.check(r.returncode == 0, f"warmstart eval of torch's {label} checkpoint exits 0"
                         + (f" (got {r.returncode}: {r.stderr.strip()})" if r.returncode else "")):
                out = json.loads(r.stdout)
                mean, std = out["normalization"]["mean"][0], out["normalization"]["std"][0]
                x = normalise(test_set[0], mean, std)
                acc, loss, ties = torch_eval(fresh, x, test_set[1])
                ws_acc, ws_loss = out["result"]["test_acc"], out["result"]["test_loss"]
                diff = round(abs(acc - ws_acc) * len(test_set[1]))
                rep.check(out["n_eval"] == 10000 and diff <= MAX_DIFF,
                          f"torch {label}: test accuracy torch {acc:.4f} vs warmstart eval {ws_acc:.4f} on "
                          f"{out['n_eval']} ({diff} example(s) differ, {ties} near-ties)")
                e = rel_err(ws_loss, loss)
                rep.check(e <= LOSS_TOL,
                          f"torch {label}: test loss torch {loss:.6f} vs warmstart {ws_loss:.6f}, rel err {e:.1e}")
        torch.manual_seed(SEED)
        state = {k: v.detach().clone() for k, v in MODELS[0][2]().state_dict().items()}

        # ---- 3. broken checkpoints ------------------------------------------------------
        np_state = {k: v.numpy() for k, v in state.items()}
        cases = [
            ("missing tensor", "lm2.bias", {k: v for k, v in np_state.items() if k != "lm2.bias"}),
            ("wrong shape", "lm1.weight", {**np_state, "lm1.weight": np.ascontiguousarray(np_state["lm1.weight"].T)}),
            ("extra tensor", "lm4.weight", {**np_state, "lm4.weight": np.zeros((10, 10), np.float32)}),
            ("wrong dtype", "lm3.bias", {**np_state, "lm3.bias": np_state["lm3.bias"].astype(np.float64)}),
        ]
        for what, tensor, tensors in cases:
            path = os.path.join(tmp, f"bad-{what.replace(' ', '-')}.safetensors")
            st.save(tensors, path, metadata={"format": "pt"})
            r = run([ws, "eval", "--init-from", path, "--json", "--data", "fashion-mnist", "--seed", str(SEED)])
            lines = r.stderr.splitlines()
            ok = (r.returncode != 0 and r.stdout == "" and len(lines) == 1 and path in lines[0]
                  and f"'{tensor}'" in lines[0])
            rep.check(ok, f"{what} ({tensor}): exit {r.returncode}, stdout {len(r.stdout)} bytes, stderr "
                      f"{lines if not ok else repr(lines[0])}")
    print(f"# {time.time() - t0:.1f}s")
    rep.finish()


if __name__ == "__main__":
    main()
