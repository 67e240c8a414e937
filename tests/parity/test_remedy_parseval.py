#!/usr/bin/python3
"""Parity with PyTorch of Parseval regularisation (Chung et al., NeurIPS 2024), transcribed from
the authors' code (wechu/parseval_reg @ e861c30, parseval_reg/agent.py lines 278-319:
`parseval_reg_network`, added to the loss before `loss.backward()` and the Adam step) into
PyTorch here:

  loss = cross-entropy + lambda * (64 / net_width)^2 * sum over the regularised weights W of
         torch.norm(W @ W.t() - s * torch.eye(W.shape[0]), p='fro') ** 2

with s = 2 (`scale = 2 # sqrt(2)**2`, their default init gain squared); the regularised weights
are the hidden layers' (`linear_orthog_k`: the first layer's included), not the output layer's,
not biases, not normalisation parameters; torch's autograd gives the gradient, torch.optim.Adam
steps.

Warmstart's own choices (docs/LEARNERS.md), transcribed as such: a convolution's kernel is the
matrix (out, in*kh*kw) (their networks have no convolutions: W.t() of a 4-d kernel fails); the
(64 / width)^2 factor is taken per layer with that layer's rows (their net_width is the one width
of all hidden layers: the same where the widths are equal), and width=0 leaves it out.

    /usr/bin/python3 tests/parity/test_remedy_parseval.py BUILD_DIR

Cases, Adam warmed up two steps first, then 3 steps with the penalty: an MLP (lambda 0.05,
width=0); an MLP with LayerNorm (its scales not regularised); Kumar et al.'s CNN (conv kernels
reshaped); an MLP of equal hidden widths 16 at the defaults (lambda 1e-3, width 64: the factor
(64/16)^2 of their code). Parameters within 1e-5 relative and Adam's moments within 1e-4
(remedy_common.py says why), the step counts equal. Negative controls, each told apart: s the
gain sqrt(2) rather than its square; the Frobenius norm not squared; the output layer regularised
too. (W^T W - s I in place of W W^T - s I is no control: the two penalties differ by the constant
s^2 (in - out), so their gradients are the same.)"""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, build_dir, import_torch  # noqa: E402

torch = import_torch()

import remedy_common as rc  # noqa: E402

STEPS = 3
LR = 1e-2
F = torch.nn.functional


def regularised(model, with_output=False):
    """The hidden layers' weights (their `linear_orthog_k`): Linear and Conv2d weights before the
    output layer; with_output (a negative control): the output layer's too."""
    out = "output_layer" if hasattr(model, "conv1") else f"lm{model.n + 1}"
    return [p for n, p in model.named_parameters()
            if n.endswith(".weight") and p.dim() in (2, 4) and (with_output or not n.startswith(out + "."))]


def parseval_reg_network(params, s, power=2):
    """agent.py 280-311 (parseval_num_groups 1, parseval_norm False); a kernel as (out, -1); power
    1 is a negative control."""
    loss_reg = 0
    for param in params:
        w = param.reshape(param.shape[0], -1)
        loss_reg = loss_reg + torch.norm(torch.matmul(w, w.t()) - s * torch.eye(w.shape[0]), p="fro") ** power
    return loss_reg


def case(rep, tool, tmp, label, kind, lam, s, width, net_width=None, control=None, seed=0):
    model = rc.build(torch, kind, seed)
    x, y = rc.batches(torch, kind, STEPS, 16, seed + 1)
    opt = rc.warm_up_adam(torch, model, x, y, LR)
    spec = f"parseval:lambda={lam}:s={s}:width={width}"
    got, _ = rc.run_tool(tool, tmp, kind, spec, model, x, y, STEPS, rc.adam_state(torch, opt, model),
                         ["--opt", "adam", "--lr", str(LR)])
    factor = (width / net_width) ** 2 if width else 1.0  # agent.py 315-316
    params = regularised(model, with_output=control == "output")
    for k in range(1, STEPS + 1):
        j = (k - 1) % len(x)
        opt.zero_grad()
        loss = F.cross_entropy(model(x[j]), y[j])
        s_used = s ** 0.5 if control == "gain" else s
        loss = loss + lam * factor * parseval_reg_network(params, s_used, power=1 if control == "norm" else 2)
        loss.backward()
        opt.step()
    if control:
        rc.told_apart(rep, label, got, model, opt, torch, control, both=True)
        return
    rc.check_all(rep, label, got, model, opt, torch)


def main():
    tool = os.path.join(build_dir(), "parity_tool")
    rep = Report()
    with tempfile.TemporaryDirectory() as tmp:
        case(rep, tool, tmp, "mlp, lambda 0.05, s 2", "mlp", 0.05, 2, 0)
        case(rep, tool, tmp, "mlp with LayerNorm, lambda 0.05, s 1", "mlp-ln", 0.05, 1, 0, seed=5)
        case(rep, tool, tmp, "cnn, lambda 0.05, s 2", "cnn", 0.05, 2, 0, seed=7)
        case(rep, tool, tmp, "mlp 16-16, defaults (lambda 1e-3, s 2, width 64)", "mlp-eq", 1e-3, 2, 64, net_width=16,
             seed=9)
        case(rep, tool, tmp, "negative control", "mlp", 0.05, 2, 0, control="gain")
        case(rep, tool, tmp, "negative control", "mlp-ln", 0.05, 1.5, 0, control="norm", seed=5)
        case(rep, tool, tmp, "negative control", "cnn", 0.05, 2, 0, control="output", seed=7)
    rep.finish()


if __name__ == "__main__":
    main()
