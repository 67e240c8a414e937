#!/usr/bin/python3
"""Parity of warmstart's ResNet-18 (forward, loss, backward, BatchNorm running
statistics, optimizer steps, eval mode, checkpoints) with PyTorch.

    /usr/bin/python3 tests/parity/test_resnet_parity.py BUILD_DIR

The reference is the official code's module (kuangliu's CIFAR ResNet-18:
conv1, bn1, layer1.0.conv1, ..., layer2.0.shortcut.0/1, linear; common.py),
for two shapes: width 16 on 3x32x32 (the paper's CIFAR-10 net) and width 8 on
1x28x28 (Fashion-MNIST), 10 classes, a batch of 8. Weights are PyTorch's
initialisation with every BatchNorm's weight, bias, running mean / var and
num_batches_tracked moved away from their defaults, so that all of them are
exercised; x ~ N(0,1), random labels. BUILD_DIR/parity_tool (`step` with a
`resnet18:C:H:W:WIDTH:CLASSES` model) runs on the same float32 state.

Checks, with err = max|a - b| / max(max|b|, 1e-8) per tensor (worst shown), all
against a float64 PyTorch reference computed from the same float32 state:
  * train-mode forward: logits, loss and every parameter's gradient, err <=
    1e-3; the BN buffers after the forward: running_mean / running_var err <=
    1e-5, num_batches_tracked exactly one more;
  * eval-mode logits of the state as loaded (BN on its running statistics),
    err <= 1e-5;
  * 2 steps of SGD (lr 0.1, momentum 0.9) and of Adam (lr 1e-3), each step a
    train-mode forward / backward on the same batch: parameters and buffers
    after 1 and after 2 steps, err <= 1e-3 against torch.optim on the
    reference ("end to end"); and the update rule alone (torch's optimizer, in
    float32, fed warmstart's own gradients), err <= 1e-5;
  * checkpoints: the state warmstart saves (ws_model_save via parity_tool
    --save) loads into the torch module with load_state_dict(strict=True) and
    gives the same eval logits as warmstart's own ws_model_load of it; a torch
    state_dict saved with st.py loads in warmstart (parity_tool --load, which is
    ws_model_load) and gives torch's eval logits; `warmstart train --model
    resnet18` on Fashion-MNIST saves a checkpoint that evaluates in torch to the
    accuracy and loss warmstart reports (skipped if the data is not installed);
    broken ResNet checkpoints (a missing BN buffer, a num_batches_tracked of the
    wrong dtype) are refused naming the tensor.
Every train-mode check runs for both backends (parity_tool --backend): onednn,
the fast path (oneDNN convolutions on the blocked nChw16c layout, our fused
BatchNorm kernels; at width 8 the 8-channel stages stay NCHW, so mixed layouts
are covered too), and reference (im2col + OpenBLAS, NCHW), each held to the
same bounds. The tool runs single-threaded (--threads 1); the SGD
configuration of the 3x32x32 net is repeated with --threads 2, which must meet
the same bounds.

Why 1e-5 for the running statistics and eval mode: the float32 errors there
are ~1e-7 (measured), and 1e-3 would not see a wrong BN constant: the biased
instead of the unbiased variance in the running_var update moves it by ~3e-4
(at layer4, 128 values per channel), an eps off by 10x moves eval logits by
~3e-2 only thanks to the small running variances in the state. (Each of those
mutations, a train-mode eps of 1e-4 and a num_batches_tracked left alone, was
checked to fail this test.)

ReLU kinks: in a net of ~10^6 ReLU inputs a few lie within float32 rounding
(~1e-6) of 0, and float32 implementations summing in different orders put
them on different sides; one such element moves a conv or BN gradient by 1e-2
to 1e-1 of its scale (measured), which no tolerance for float32 arithmetic
covers. So parity_tool --masks reports which side each of its ReLUs took at
every forward, and the reference follows those decisions (relu(x) = x * mask:
the same function wherever the two agree). A separate check bounds the
disagreements with the reference's own float64 decisions: they may only be at
inputs with |x| < 1e-4 (a wrong forward would disagree far from 0).

Adam: its first step moves every weight by about lr * sign(g); where a
gradient is within float32 rounding of 0 its sign, hence the step, can differ
by 2 lr. As in test_mlp_parity.py, the strict bound applies to elements whose
bias-corrected sqrt(v) is >= 1e-3 of the tensor's largest (or exactly 0), and
the others (counted in the output) must agree within 2 lr per step.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, build_dir, import_torch, make_resnet, nan_to_inf, rel_err  # noqa: E402

torch = import_torch()
import numpy as np  # noqa: E402

import st  # noqa: E402

F = torch.nn.functional
ResNet18, set_relu = make_resnet(torch)

FWD_TOL = 1e-3     # logits, loss, gradients (train mode)
STAT_TOL = 1e-5    # running statistics after a forward, eval-mode logits (see below)
OPT_TOL = 1e-3     # parameters and buffers after optimizer steps, end to end
RULE_TOL = 1e-5    # parameters after a step from warmstart's own gradients (float32 both)
KINK = 1e-4        # ReLU decisions may differ from float64's only where |input| < KINK
ILL_COND = 1e-3    # Adam: sqrt(v_hat) below this share of the tensor's max (and > 0)
STEPS = 2
THREADS = 2        # one configuration is repeated multi-threaded
B = 8
CLASSES = 10
SEED = 7

# (label, C, H(=W), width, batch). At batch 32 oneDNN's "auto" algorithm runs
# Winograd F(4x4,3x3) for 7 of the 17 3x3 convolutions (at batch 8, none).
CASES = [
    ("resnet18 w16 3x32x32", 3, 32, 16, B),
    ("resnet18 w8 1x28x28", 1, 28, 8, B),
    ("resnet18 w16 3x32x32 batch 32", 3, 32, 16, 32),
]
WINOGRAD_CASE = 2

# warmstart's backends, each held to the same bounds (the first also saves the checkpoint)
BACKENDS = ["onednn", "reference"]

# (label, parity_tool flags, torch optimizer factory)
OPTIMIZERS = [
    ("SGD lr 0.1 momentum 0.9", ["--opt", "sgd", "--lr", "0.1", "--momentum", "0.9"],
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    ("Adam lr 1e-3", ["--opt", "adam", "--lr", "1e-3"],
     lambda p: torch.optim.Adam(p, lr=1e-3)),
]


def spec_of(C, H, width):
    return f"resnet18:{C}:{H}:{H}:{width}:{CLASSES}"


def relu_names():
    """parity_tool's mask names, in the reference's ReLU call order."""
    names = ["relu"]
    for stage in range(1, 5):
        for b in range(2):
            names += [f"layer{stage}.{b}.relu1", f"layer{stage}.{b}.relu2"]
    return names


def make_state(C, H, width, seed, batch=B):
    """A float32 state_dict (PyTorch init, BN state perturbed) and a batch.
    Running variances spread over [1e-3, 2] (log-uniform) and one stem channel
    whose batch variance (~1e-7) is far below eps make eps matter in both modes."""
    torch.manual_seed(seed)
    m = ResNet18(CLASSES, C, width)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                n = mod.num_features
                mod.weight.copy_(0.5 + torch.rand(n))
                mod.bias.copy_(0.2 * torch.randn(n))
                mod.running_mean.copy_(0.2 * torch.randn(n))
                mod.running_var.copy_(10 ** (3.3 * torch.rand(n) - 3))
                mod.num_batches_tracked.fill_(int(torch.randint(1, 100, ())))
        m.conv1.weight[0] *= 1e-3
    state = {k: v.detach().clone() for k, v in m.state_dict().items()}
    x = torch.randn(batch, C, H, H)
    y = torch.randint(0, CLASSES, (batch,))
    return state, x, y


def ref_model(C, width, state, dtype=torch.float64):
    m = ResNet18(CLASSES, C, width).to(dtype)
    m.load_state_dict(state, strict=True)  # copies (and converts) every tensor
    return m


def forcing(masks, record=None):
    """A ReLU that follows the given decisions (float64 0/1 tensors, in call
    order); `record` gets each ReLU's input."""
    it = iter(masks)

    def fn(x):
        if record is not None:
            record.append(x.detach())
        return x * next(it)

    return fn


def masks_of(out, prefix, dtype=torch.float64):
    return [torch.from_numpy(out[f"{prefix}mask.{n}"].astype(np.float64)).to(dtype) for n in relu_names()]


def run(cmd, env=None):
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def run_tool(tool, spec, in_path, out_path, flags, threads=1, backend="onednn", algo="auto"):
    cmd = [tool, "step", spec, in_path, out_path, "--threads", str(threads), "--backend", backend,
           "--conv-algo", algo, *flags]
    # oneDNN's verbose log (stdout) names the implementation of every primitive run
    r = run(cmd, env={**os.environ, "DNNL_VERBOSE": "1"} if backend == "onednn" else None)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
    out, _ = st.load(out_path)
    out["_impls"] = r.stdout
    return out


def buffer_names(state):
    return [k for k in state if k.endswith(("running_mean", "running_var", "num_batches_tracked"))]


def compare_buffers(got, ref, names):
    """(worst running-stat err, its name, list of num_batches_tracked mismatches)."""
    errs, bad_nbt = {}, []
    for n in names:
        a = got.get(n)
        b = ref[n]
        if n.endswith("num_batches_tracked"):
            if a is None or a.dtype != np.int64 or a.shape != () or int(a) != int(b):
                bad_nbt.append(f"{n}: {None if a is None else (a.dtype, a.shape, a.tolist())} vs {int(b)}")
        else:
            errs[n] = rel_err(a, b) if a is not None else np.inf
    worst = max(errs, key=errs.get)
    return errs[worst], worst, bad_nbt


def reference_forward(C, width, state, x, y, masks):
    """Float64 train-mode forward / backward following warmstart's ReLU decisions:
    logits, loss, gradients, buffers after the forward, and the ReLU inputs."""
    m = ref_model(C, width, state)
    m.train()
    pre = []
    set_relu(forcing(masks, pre))
    try:
        logits = m(x.double())
    finally:
        set_relu(None)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    grads = {n: p.grad.numpy() for n, p in m.named_parameters()}
    bufs = {n: b.numpy() for n, b in m.named_buffers()}
    return logits.detach().numpy(), loss.item(), grads, bufs, pre


def reference_eval(C, width, state, x, dtype=torch.float64):
    m = ref_model(C, width, state, dtype)
    m.eval()
    with torch.no_grad():
        return m(x.to(dtype)).numpy()


def reference_steps(C, width, state, x, y, make_opt, out):
    """STEPS torch optimizer steps on the float64 reference, step k following
    warmstart's ReLU decisions of its step k: per step (params, buffers, loss,
    Adam's bias-corrected sqrt(v) or None)."""
    m = ref_model(C, width, state)
    m.train()
    opt = make_opt(m.parameters())
    snaps = []
    for k in range(1, STEPS + 1):
        opt.zero_grad()
        set_relu(forcing(masks_of(out, f"step{k}.")))
        try:
            loss = F.cross_entropy(m(x.double()), y)
        finally:
            set_relu(None)
        loss.backward()
        opt.step()
        snaps.append(snapshot(m, opt, k, loss.item()))
    return snaps


def rule_steps(C, width, state, make_opt, out):
    """The update rule alone: torch's optimizer in float32, step k fed warmstart's
    gradient of step k."""
    m = ref_model(C, width, state, torch.float32)
    opt = make_opt(m.parameters())
    snaps = []
    for k in range(1, STEPS + 1):
        opt.zero_grad()
        for n, p in m.named_parameters():
            p.grad = torch.from_numpy(out[f"step{k}.grad.{n}"].copy())
        opt.step()
        snaps.append(snapshot(m, opt, k, None))
    return snaps


def snapshot(m, opt, k, loss):
    params = {n: p.detach().numpy().copy() for n, p in m.named_parameters()}
    bufs = {n: b.numpy().copy() for n, b in m.named_buffers()}
    sv = None
    if "betas" in opt.param_groups[0]:
        b2 = opt.param_groups[0]["betas"][1]
        sv = {n: np.sqrt(opt.state[p]["exp_avg_sq"].numpy().astype(np.float64) / (1 - b2**k))
              for n, p in m.named_parameters()}
    return params, bufs, loss, sv


def compare_params(got, snap, k, lr, ill):
    """(worst strict err, its tensor, #ill-conditioned elements, their max |diff| / (k lr)).
    `ill[n]` accumulates, over steps, the ill-conditioned elements of tensor n."""
    params, _, _, sv = snap
    errs, n_ill, loose = {}, 0, 0.0
    for n, ref in params.items():
        a = got[n].astype(np.float64)
        b = ref.astype(np.float64)
        if sv is not None:
            s = sv[n]
            ill[n] = ill.get(n, np.zeros(s.shape, bool)) | ((s > 0) & (s < ILL_COND * s.max()))
            keep = ~ill[n]
            n_ill += int(ill[n].sum())
            if ill[n].any():
                loose = max(loose, nan_to_inf(float(np.abs(a - b)[ill[n]].max()) / (k * lr)))
            a, b = a[keep], b[keep]
            scale = max(float(np.abs(ref).max()), 1e-8)
            errs[n] = nan_to_inf(float(np.abs(a - b).max()) / scale) if a.size else 0.0
        else:
            errs[n] = rel_err(a, b)
    name = max(errs, key=errs.get)
    return errs[name], name, n_ill, loose


def read_idx(path, magic):
    import gzip

    if os.path.exists(path + ".gz"):
        path += ".gz"
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        raw = f.read()
    if int.from_bytes(raw[:4], "big") != magic:
        raise ValueError(f"{path}: bad magic")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    bdir = build_dir()
    tool = os.path.join(bdir, "parity_tool")
    ws = os.path.join(bdir, "warmstart")
    rep = Report()
    if not rep.check(os.access(tool, os.X_OK), f"{tool} exists (make all)"):
        rep.finish()
    t0 = time.time()
    maxima = {}

    def note(kind, e):
        maxima[kind] = max(maxima.get(kind, 0.0), e)

    with tempfile.TemporaryDirectory(prefix="ws-resnet-") as tmp:
        in_path = os.path.join(tmp, "in.safetensors")
        out_path = os.path.join(tmp, "out.safetensors")
        saved = {}  # case index -> (state, warmstart checkpoint after the SGD steps)
        for ci, (label, C, H, width, batch) in enumerate(CASES):
            spec = spec_of(C, H, width)
            state, x, y = make_state(C, H, width, SEED + ci, batch)
            st.save({**state, "x": x, "y": y}, in_path)
            pnames = [n for n, _ in ref_model(C, width, state, torch.float32).named_parameters()]
            bnames = buffer_names(state)
            # Both backends: the fast one (onednn, blocked layout) and the reference.
            runs = [(oi, o, 1, be, "auto") for be in BACKENDS for oi, o in enumerate(OPTIMIZERS)]
            if ci == 0:  # the paper's net, multi-threaded too
                runs += [(0, OPTIMIZERS[0], THREADS, be, "auto") for be in BACKENDS]
            if ci == WINOGRAD_CASE:  # oneDNN's algorithm choice (Winograd) and the direct sum, SGD
                runs = [(0, OPTIMIZERS[0], 1, "onednn", algo) for algo in ("auto", "direct")]
            for oi, (olabel, flags, make_opt), threads, backend, algo in runs:
                tag = f"{label} [{backend}{'' if algo == 'auto' else ' ' + algo}]" + \
                    ("" if threads == 1 else f" threads={threads}")
                ck = os.path.join(tmp, f"ws-{ci}.safetensors")
                save = threads == 1 and backend == BACKENDS[0] and ci != WINOGRAD_CASE
                extra = ["--eval"] + (["--save", ck] if save else []) if oi == 0 else []
                try:
                    out = run_tool(tool, spec, in_path, out_path,
                                   ["--steps", str(STEPS), "--trace", "--masks", *extra, *flags], threads, backend,
                                   algo)
                except RuntimeError as e:
                    rep.check(False, f"{tag} {olabel}: {e}")
                    continue
                if ci == WINOGRAD_CASE:
                    wino = out["_impls"].count("wino")
                    rep.check((wino > 0) == (algo == "auto"),
                              f"{tag}: oneDNN ran {wino} Winograd primitive(s) (DNNL_VERBOSE)")
                missing = [f"{pre}mask.{n}" for k in range(STEPS + 1) for pre in [f"step{k}." if k else ""]
                           for n in relu_names() if f"{pre}mask.{n}" not in out]
                if not rep.check(not missing, f"{tag} {olabel}: parity_tool --masks wrote the decisions of all "
                                 f"{len(relu_names())} ReLUs" + (f"; missing {missing[:3]}..." if missing else "")):
                    continue
                if oi == 0:
                    if save:
                        saved[ci] = (state, ck, out)
                    # ---- the first train-mode forward / backward ----------------------
                    masks = masks_of(out, "")
                    r_logits, r_loss, r_grads, r_bufs, pre = reference_forward(C, width, state, x, y, masks)
                    e = rel_err(out["logits"], r_logits)
                    note("logits", e)
                    rep.check(e <= FWD_TOL, f"{tag}: train-mode logits {out['logits'].shape} rel err {e:.2e}")
                    e = rel_err(out["loss"], r_loss)
                    note("loss", e)
                    rep.check(e <= FWD_TOL and out["loss"].shape == (),
                              f"{tag}: loss {float(out['loss']):.6f} vs torch {r_loss:.6f}, rel err {e:.2e}")
                    errs = {n: rel_err(out[f"grad.{n}"], g) if f"grad.{n}" in out else np.inf
                            for n, g in r_grads.items()}
                    extra_g = sorted(k for k in out if k.startswith("grad.") and k[5:] not in r_grads)
                    n = max(errs, key=errs.get)
                    note("gradients", errs[n])
                    rep.check(errs[n] <= FWD_TOL and not extra_g,
                              f"{tag}: gradients of all {len(r_grads)} parameters: rel err <= {errs[n]:.2e} "
                              f"(worst {n})" + (f"; unexpected {extra_g}" if extra_g else ""))
                    got = {n: out[f"buffer.{n}"] for n in bnames if f"buffer.{n}" in out}
                    e, n, bad = compare_buffers(got, r_bufs, bnames)
                    note("buffers after the forward", e)
                    rep.check(e <= STAT_TOL and not bad,
                              f"{tag}: BN buffers after the forward: running stats rel err <= {e:.2e} (worst {n}), "
                              f"num_batches_tracked " + (f"WRONG ({len(bad)}) {bad[:2]}" if bad else "all +1"))
                    # ReLU decisions against float64's own.
                    total = sum(p.numel() for p in pre)
                    diff, far = 0, 0.0
                    for p, mk in zip(pre, masks):
                        d = (p > 0).double() != mk
                        diff += int(d.sum())
                        if d.any():
                            far = max(far, float(p.abs()[d].max()))
                    rep.check(far < KINK, f"{tag}: ReLU decisions: {diff} of {total} differ from float64's, "
                              f"all at |input| <= {far:.1e} (bound {KINK:.0e})")
                    # Eval mode, on the state as loaded.
                    r_eval = reference_eval(C, width, state, x)
                    e = rel_err(out["eval_logits"], r_eval) if "eval_logits" in out else np.inf
                    note("eval logits", e)
                    rep.check(e <= STAT_TOL, f"{tag}: eval-mode logits rel err {e:.2e}")
                # ---- optimizer steps --------------------------------------------------
                lr = float(flags[flags.index("--lr") + 1])
                free = reference_steps(C, width, state, x, y, make_opt, out)
                forced = rule_steps(C, width, state, make_opt, out)
                ill_free, ill_forced = {}, {}
                for k in range(1, STEPS + 1):
                    last = k == STEPS
                    got = {n: out[f"param.{n}" if last else f"step{k}.param.{n}"] for n in pnames}
                    ee, ne, n_ill, loose = compare_params(got, free[k - 1], k, lr, ill_free)
                    ef, nf, _, loose2 = compare_params(got, forced[k - 1], k, lr, ill_forced)
                    same = all(np.array_equal(out[f"step{k}.param.{n}"], got[n]) for n in pnames)
                    note("params, end to end", ee)
                    note("params, update rule", ef)
                    msg = (f"{tag} {olabel}: params after {k} step{'s' if k > 1 else ''}: rel err {ee:.2e} "
                           f"(worst {ne}), update rule alone {ef:.2e} (worst {nf})")
                    ok = ee <= OPT_TOL and ef <= RULE_TOL and same
                    if free[0][3] is not None:  # Adam
                        total = sum(v.numel() for v in state.values() if v.is_floating_point()) - sum(
                            state[n].numel() for n in bnames if not n.endswith("num_batches_tracked"))
                        msg += f"; {n_ill}/{total} ill-conditioned elements within {max(loose, loose2):.2f}*{k}*lr"
                        ok = ok and loose <= 2 and loose2 <= 2
                    rep.check(ok, msg)
                    # Buffers after step k (its forward), and the loss it measured.
                    pre_k = "final.buffer." if last else f"step{k}.buffer."
                    gotb = {n: out[pre_k + n] for n in bnames if pre_k + n in out}
                    e, n, bad = compare_buffers(gotb, free[k - 1][1], bnames)
                    same = all(np.array_equal(out[f"step{k}.buffer.{n}"], gotb.get(n)) for n in bnames)
                    el = rel_err(out["losses"][k - 1], free[k - 1][2])
                    note("buffers after steps", e)
                    note("loss at each step", el)
                    rep.check(e <= OPT_TOL and el <= FWD_TOL and not bad and same,
                              f"{tag} {olabel}: after {k} step{'s' if k > 1 else ''}: BN running stats rel err "
                              f"{e:.2e} (worst {n}), num_batches_tracked " + (f"WRONG ({len(bad)}) {bad[:2]}" if bad else "ok")
                              + f", loss of the step rel err {el:.2e}")

        # ---- checkpoints ----------------------------------------------------------------
        # 1. warmstart -> torch: the state parity_tool saved (ws_model_save) after the SGD steps.
        for ci, (state, ck, out) in saved.items():
            label, C, H, width, _ = CASES[ci]
            spec = spec_of(C, H, width)
            if not rep.check(os.path.exists(ck), f"{label}: parity_tool --save wrote {os.path.basename(ck)}"):
                continue
            tensors, meta = st.load(ck)
            model = ResNet18(CLASSES, C, width)
            try:
                model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
                loaded, err = True, ""
            except Exception as e:  # missing / unexpected keys, shape mismatch
                loaded, err = False, str(e).splitlines()[0]
            if not rep.check(loaded, f"{label}: torch load_state_dict(strict=True) of warmstart's checkpoint "
                             f"({len(tensors)} tensors)" + (f": {err}" if err else "")):
                continue
            sd = model.state_dict()
            dtypes_ok = all(tensors[k].dtype == sd[k].numpy().dtype and tensors[k].shape == tuple(sd[k].shape)
                            for k in sd)
            final = all(np.array_equal(tensors[k], out[f"param.{k}"] if f"param.{k}" in out else out[f"final.buffer.{k}"])
                        for k in sd)
            rep.check(dtypes_ok and final and meta.get("format") == "pt",
                      f"{label}: checkpoint dtypes/shapes as torch's (F32, num_batches_tracked I64 []), "
                      f"equal to the state after the steps, metadata {meta}")
            # Eval logits on a fresh batch: torch on the loaded checkpoint vs warmstart's ws_model_load of it.
            g = torch.Generator().manual_seed(100 + ci)
            x2 = torch.randn(32, C, H, H, generator=g)
            y2 = torch.randint(0, CLASSES, (32,), generator=g)
            xy = os.path.join(tmp, "xy.safetensors")
            st.save({"x": x2, "y": y2}, xy)
            try:
                o2 = run_tool(tool, spec, xy, out_path, ["--load", ck, "--eval"])
            except RuntimeError as e:
                rep.check(False, f"{label}: parity_tool --load of warmstart's checkpoint: {e}")
                continue
            model.eval()
            with torch.no_grad():
                t_logits = model(x2).numpy()
            r64 = reference_eval(C, width, {k: torch.from_numpy(v) for k, v in tensors.items()}, x2)
            e, e32 = rel_err(o2["eval_logits"], r64), rel_err(t_logits, r64)
            same_pred = int((o2["eval_logits"].argmax(1) == t_logits.argmax(1)).sum())
            note("checkpoint eval logits", e)
            rep.check(e <= STAT_TOL and same_pred == 32,
                      f"{label}: warmstart's checkpoint, eval mode: warmstart logits rel err {e:.2e} "
                      f"(torch float32 {e32:.2e}), predictions equal on {same_pred}/32")

        # 2. torch -> warmstart: a torch state_dict (perturbed BN state) saved with st.py.
        for ci, (label, C, H, width, _) in enumerate(CASES[:WINOGRAD_CASE]):
            state, _, _ = make_state(C, H, width, 1000 + ci)
            tck = os.path.join(tmp, f"torch-{ci}.safetensors")
            st.save(state, tck, metadata={"format": "pt"})
            g = torch.Generator().manual_seed(200 + ci)
            x2 = torch.randn(32, C, H, H, generator=g)
            y2 = torch.randint(0, CLASSES, (32,), generator=g)
            xy = os.path.join(tmp, "xy.safetensors")
            st.save({"x": x2, "y": y2}, xy)
            try:
                o2 = run_tool(tool, spec_of(C, H, width), xy, out_path, ["--load", tck, "--eval"])
            except RuntimeError as e:
                rep.check(False, f"{label}: warmstart load of torch's state_dict: {e}")
                continue
            model = ref_model(C, width, state, torch.float32)
            model.eval()
            with torch.no_grad():
                t_logits = model(x2).numpy()
            r64 = reference_eval(C, width, state, x2)
            e = rel_err(o2["eval_logits"], r64)
            same_pred = int((o2["eval_logits"].argmax(1) == t_logits.argmax(1)).sum())
            note("checkpoint eval logits", e)
            rep.check(e <= STAT_TOL and same_pred == 32,
                      f"{label}: torch's state_dict loaded by warmstart, eval mode: logits rel err {e:.2e}, "
                      f"predictions equal to torch's on {same_pred}/32")

        # 3. Broken ResNet checkpoints are refused, naming the tensor.
        label, C, H, width, _ = CASES[1]
        state, _, _ = make_state(C, H, width, 1001)
        np_state = {k: v.numpy() for k, v in state.items()}
        xy = os.path.join(tmp, "xy.safetensors")
        st.save({"x": torch.zeros(2, C, H, H), "y": torch.zeros(2, dtype=torch.int64)}, xy)
        cases = [
            ("missing BN buffer", "layer3.0.shortcut.1.running_var",
             {k: v for k, v in np_state.items() if k != "layer3.0.shortcut.1.running_var"}),
            ("num_batches_tracked as F32", "layer2.1.bn2.num_batches_tracked",
             {**np_state, "layer2.1.bn2.num_batches_tracked": np.array(3.0, dtype=np.float32)}),
        ]
        for what, tensor, tensors in cases:
            path = os.path.join(tmp, f"bad-{what.replace(' ', '-')}.safetensors")
            st.save(tensors, path, metadata={"format": "pt"})
            r = run([tool, "step", spec_of(C, H, width), xy, out_path, "--load", path, "--eval"])
            lines = r.stderr.splitlines()
            ok = r.returncode == 1 and len(lines) == 1 and path in lines[0] and f"'{tensor}'" in lines[0]
            rep.check(ok, f"{label}: {what} ({tensor}): exit {r.returncode}, stderr {lines}")

        # 4. `warmstart train --model resnet18` on Fashion-MNIST: its checkpoint in torch.
        if os.access(ws, os.X_OK):
            t1 = time.time()
            ck = os.path.join(tmp, "cli.safetensors")
            cmd = [ws, "train", "--data", "fashion-mnist", "--model", "resnet18", "--width", "8", "--subset", "256",
                   "--max-epochs", "1", "--seed", "3", "--threads", "1", "--save", ck, "--json", "--quiet"]
            r = run(cmd)
            if r.returncode != 0 and "fashion-mnist: missing" in r.stderr:
                print(f"# skipped the CLI checkpoint check: Fashion-MNIST not available: {r.stderr.strip()}")
            elif rep.check(r.returncode == 0, "warmstart train --model resnet18 --width 8 exits 0"
                           + (f" (got {r.returncode}: {r.stderr.strip()})" if r.returncode else "")):
                res = json.loads(r.stdout)
                tensors, meta = st.load(ck)
                model = ResNet18(CLASSES, 1, 8)
                try:
                    model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
                    loaded, err = True, ""
                except Exception as e:
                    loaded, err = False, str(e).splitlines()[0]
                if rep.check(loaded, f"CLI resnet18 w8: torch load_state_dict(strict=True) of {len(tensors)} tensors"
                             + (f": {err}" if err else "")):
                    root = res["config"]["data"]["root"]
                    xu8 = read_idx(os.path.join(root, "t10k-images-idx3-ubyte"), 0x803)
                    yt = torch.from_numpy(read_idx(os.path.join(root, "t10k-labels-idx1-ubyte"), 0x801).astype(np.int64))
                    mean, std = res["normalization"]["mean"][0], res["normalization"]["std"][0]
                    xt = (xu8.astype(np.float32) / np.float32(255.0) - np.float32(mean)) / np.float32(std)
                    xt = torch.from_numpy(xt).reshape(-1, 1, 28, 28)
                    model.eval()
                    with torch.no_grad():
                        logits = torch.cat([model(xt[i : i + 1000]) for i in range(0, len(xt), 1000)])
                    acc = float((logits.argmax(1) == yt).double().mean())
                    loss = float(F.cross_entropy(logits.double(), yt, reduction="sum")) / len(yt)
                    top2 = logits.topk(2, dim=1).values
                    ties = int(((top2[:, 0] - top2[:, 1]) < 1e-4).sum())
                    ws_acc, ws_loss = res["result"]["test_acc"], res["result"]["test_loss"]
                    diff = round(abs(acc - ws_acc) * len(yt))
                    nbt = int(tensors["bn1.num_batches_tracked"])
                    rep.check(diff <= 1 and res["n_eval"] == len(yt),
                              f"CLI resnet18 w8 (num_batches_tracked {nbt}): test accuracy torch {acc:.4f} vs "
                              f"warmstart {ws_acc:.4f} on {res['n_eval']} ({diff} example(s) differ, {ties} near-ties)")
                    e = rel_err(ws_loss, loss)
                    note("CLI test loss", e)
                    rep.check(e <= 1e-4, f"CLI resnet18 w8: test loss torch {loss:.6f} vs warmstart {ws_loss:.6f}, "
                              f"rel err {e:.1e} ({time.time() - t1:.1f}s)")
    print("# max rel errors: " + ", ".join(f"{k} {v:.2e}" for k, v in maxima.items()))
    print(f"# {time.time() - t0:.1f}s")
    rep.finish()


if __name__ == "__main__":
    main()
