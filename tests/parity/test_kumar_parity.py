#!/usr/bin/python3
"""Parity with PyTorch of Kumar et al. 2024's networks (L2 Init, CoLLAs 2024):
their small CNN (nets/cnn.py) and the MLP with LayerNorm and concatenated ReLU.

    /usr/bin/python3 tests/parity/test_kumar_parity.py BUILD_DIR

The PyTorch modules are written here, independently of warmstart: torch.nn.Conv2d,
LayerNorm, MaxPool2d, Linear and torch.cat((x, -x)) then ReLU. Their CReLU widths
come from Kumar et al.'s rule computed here on the torch modules
(concat_relu_network_calculation.py: f over 0.5 - np.arange(0, 0.5, 0.01), the first
whose CReLU network has at least the plain one's parameters, layer_norm's not counted;
every width int((1 - f) w)); warmstart's parameter shapes must match them.

For each network, on both backends (reference, onednn), with PyTorch-initialised
weights (LayerNorm's perturbed off 1 and 0 so that their gradients mean something),
N(0,1) inputs and random labels, BUILD_DIR/parity_tool runs a forward, the loss, a
backward and 3 optimizer steps. Checks, err = max|a - b| / max(max|b|, 1e-8):
  * logits, loss and every parameter gradient against a float64 PyTorch run of the
    same float32 weights and data: err <= 1e-4;
  * SGD (lr 0.1), 3 steps end to end against torch.optim.SGD in float32: err <= 1e-5;
  * Adam (lr 1e-3), 3 steps: the update rule (torch.optim.Adam fed warmstart's own
    gradients of each step) err <= 1e-5, and end to end every weight within 2 lr per
    step of torch's (Adam moves an element whose gradient is near 0 by up to lr on
    float32 rounding: test_mlp_parity.py's docstring).
The data and weights come from fixed seeds, so a run is the same on every run.
"""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, build_dir, import_torch, rel_err  # noqa: E402

torch = import_torch()
import numpy as np  # noqa: E402

import st  # noqa: E402
from nets import kumar_modules  # noqa: E402

nn = torch.nn
F = torch.nn.functional

FWD_TOL = 1e-4
OPT_TOL = 1e-5
STEPS = 3
ADAM_LR = 1e-3
BACKENDS = ["reference", "onednn"]


CNN, MLP = kumar_modules(torch)


def count(model):
    return sum(p.numel() for n, p in model.named_parameters() if "layer_norm" not in n and not n.startswith("ln"))


def crelu_fraction(build):
    """Kumar et al.'s rule on torch modules: build(f, crelu) -> module."""
    target = count(build(0.0, False))
    for f in [0.5 - i for i in np.arange(0.0, 0.5, 0.01)]:
        if count(build(f, True)) >= target:
            return f
    raise AssertionError("no fraction keeps the parameter count")


def cut(f, w):
    return int((1.0 - f) * w)


def make_cnn(shape, channels, hidden, classes, crelu, ln):
    f = crelu_fraction(lambda f, c: CNN(shape, cut(f, channels), [cut(f, h) for h in hidden], classes, c)) if crelu else 0.0
    return CNN(shape, cut(f, channels), [cut(f, h) for h in hidden], classes, crelu, ln), f


def make_mlp(inputs, hidden, classes, crelu, ln):
    f = crelu_fraction(lambda f, c: MLP(inputs, [cut(f, h) for h in hidden], classes, c)) if crelu else 0.0
    return MLP(inputs, [cut(f, h) for h in hidden], classes, crelu, ln), f


# (label, parity_tool spec, factory, input shape per example, expected widths)
CASES = [
    ("cnn 3x32x32 c16 100-100", "cnn:3:32:32:16:100,100:10", lambda: make_cnn((3, 32, 32), 16, (100, 100), 10, 0, 0),
     (3, 32, 32), None),
    ("cnn 3x32x32 c16 100-100 ln", "cnn:3:32:32:16:100,100:10:ln",
     lambda: make_cnn((3, 32, 32), 16, (100, 100), 10, 0, 1), (3, 32, 32), None),
    ("cnn 3x32x32 c16 100-100 crelu", "cnn:3:32:32:16:100,100:10:crelu",
     lambda: make_cnn((3, 32, 32), 16, (100, 100), 10, 1, 0), (3, 32, 32), (11, 73)),
    ("cnn 3x32x32 c16 100-100 crelu ln", "cnn:3:32:32:16:100,100:10:crelu:ln",
     lambda: make_cnn((3, 32, 32), 16, (100, 100), 10, 1, 1), (3, 32, 32), (11, 73)),
    ("cnn 1x28x28 c16 100-100 crelu ln", "cnn:1:28:28:16:100,100:10:crelu:ln",
     lambda: make_cnn((1, 28, 28), 16, (100, 100), 10, 1, 1), (1, 28, 28), (11, 72)),
    ("mlp 784-100-100-10 ln", "mlp:784:100,100:10:ln", lambda: make_mlp(784, (100, 100), 10, 0, 1), (784,), None),
    ("mlp 784-100-100-10 crelu", "mlp:784:100,100:10:crelu", lambda: make_mlp(784, (100, 100), 10, 1, 0), (784,),
     (91,)),
    ("mlp 784-100-100-10 crelu ln", "mlp:784:100,100:10:crelu:ln", lambda: make_mlp(784, (100, 100), 10, 1, 1),
     (784,), (91,)),
]
BATCH = 16


def make_batch(shape, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn((BATCH, *shape), generator=g)
    y = torch.randint(0, 10, (BATCH,), generator=g)
    return x, y


def perturb_norms(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "layer_norm" in n or n.startswith("ln"):
                p.add_(0.1 * torch.randn(p.shape, generator=g))


def reference64(model, x, y):
    """Logits, loss and gradients of a float64 copy of the float32 model."""
    import copy

    m = copy.deepcopy(model).double()
    logits = m(x.double())
    loss = F.cross_entropy(logits, y)
    loss.backward()
    return logits.detach(), loss.detach(), {n: p.grad.detach() for n, p in m.named_parameters()}


def torch_steps(model, x, y, opt_factory, grads=None):
    """STEPS optimizer steps in float32 on a copy; grads: per step, the gradients to use
    (the update rule alone) instead of torch's own."""
    import copy

    m = copy.deepcopy(model)
    opt = opt_factory(m.parameters())
    for k in range(STEPS):
        opt.zero_grad()
        if grads is None:
            F.cross_entropy(m(x), y).backward()
        else:
            for n, p in m.named_parameters():
                p.grad = torch.from_numpy(grads[k][n]).clone()
        opt.step()
    return {n: p.detach() for n, p in m.named_parameters()}


def run_tool(tool, spec, in_path, out_path, backend, flags):
    import subprocess

    cmd = [tool, "step", spec, in_path, out_path, "--threads", "1", "--backend", backend, "--conv-algo", "direct",
           "--steps", str(STEPS), "--trace", *flags]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
    return st.load(out_path)[0]


def worst(got, ref, names, prefix):
    errs = [(rel_err(got[prefix + n], ref[n].numpy()), n) for n in names]
    return max(errs)


def check_case(rep, tool, tmp, idx, label, spec, factory, shape, widths):
    torch.manual_seed(100 + idx)
    model, f = factory()
    perturb_norms(model, 200 + idx)
    names = [n for n, _ in model.named_parameters()]
    if widths is not None:  # the rule, computed here on torch modules, gives the widths of the docs
        first = model.conv1.out_channels if hasattr(model, "conv1") else model.lm1.out_features
        rep.check(first == widths[0] and (len(widths) == 1 or model.fc1.out_features == widths[1]),
                  f"{label}: Kumar et al.'s rule (f = {f:.2f}) gives widths {widths}")
    x, y = make_batch(shape, 300 + idx)
    in_path = os.path.join(tmp, f"in{idx}.safetensors")
    st.save({**{n: p.detach() for n, p in model.state_dict().items()}, "x": x, "y": y}, in_path)
    logits64, loss64, g64 = reference64(model, x, y)
    sgd_ref = torch_steps(model, x, y, lambda p: torch.optim.SGD(p, lr=0.1))
    adam_ref = torch_steps(model, x, y, lambda p: torch.optim.Adam(p, lr=ADAM_LR))
    for backend in BACKENDS:
        tag = f"{label} [{backend}]"
        out_path = os.path.join(tmp, f"out{idx}{backend}.safetensors")
        try:
            sgd = run_tool(tool, spec, in_path, out_path, backend, ["--opt", "sgd", "--lr", "0.1"])
            adam = run_tool(tool, spec, in_path, out_path, backend, ["--opt", "adam", "--lr", str(ADAM_LR)])
        except RuntimeError as e:
            rep.check(False, f"{tag}: {e}")
            continue
        rep.check(sorted(k[5:] for k in sgd if k.startswith("grad.")) == sorted(names),
                  f"{tag}: the same parameter names as the torch module")
        e_logits = rel_err(sgd["logits"], logits64.numpy())
        e_loss = rel_err(sgd["loss"], loss64.numpy())
        e_grad, gname = worst(sgd, g64, names, "grad.")
        rep.check(max(e_logits, e_loss, e_grad) <= FWD_TOL,
                  f"{tag}: logits {e_logits:.1e}, loss {e_loss:.1e}, gradients {e_grad:.1e} ({gname}) vs float64")
        e_sgd, sname = worst(sgd, sgd_ref, names, "param.")
        rep.check(e_sgd <= OPT_TOL, f"{tag}: SGD {STEPS} steps end to end {e_sgd:.1e} ({sname})")
        step_grads = [{n: adam[f"step{k + 1}.grad.{n}"] for n in names} for k in range(STEPS)]
        rule = torch_steps(model, x, y, lambda p: torch.optim.Adam(p, lr=ADAM_LR), step_grads)
        e_rule, rname = worst(adam, rule, names, "param.")
        rep.check(e_rule <= OPT_TOL, f"{tag}: Adam {STEPS} steps, update rule {e_rule:.1e} ({rname})")
        e2e = max(float(np.max(np.abs(adam["param." + n] - adam_ref[n].numpy()))) for n in names)
        e2e_rel, aname = worst(adam, adam_ref, names, "param.")
        rep.check(e2e <= 2 * ADAM_LR * STEPS,
                  f"{tag}: Adam {STEPS} steps end to end max |diff| {e2e:.1e} <= {2 * ADAM_LR * STEPS:g} "
                  f"(relative {e2e_rel:.1e}, {aname})")


def main():
    tool = os.path.join(build_dir(), "parity_tool")
    rep = Report()
    with tempfile.TemporaryDirectory() as tmp:
        for idx, (label, spec, factory, shape, widths) in enumerate(CASES):
            check_case(rep, tool, tmp, idx, label, spec, factory, shape, widths)
    rep.finish()


if __name__ == "__main__":
    main()
