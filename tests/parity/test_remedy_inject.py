#!/usr/bin/python3
"""Parity with PyTorch of plasticity injection (Nikishin, Oh, Ostrovski, Lyle, Pascanu, Dabney &
Barreto, "Deep Reinforcement Learning with Plasticity Injection", NeurIPS 2023). The authors
released no code; this transcribes the paper's Expression (1) and Figure 2 literally:

  at the injection, the head's parameters theta are frozen and two copies of a fresh
  initialisation are made, theta1' trainable and theta2' frozen; the output is
  h_theta(phi(x)) + h_theta1'(phi(x)) - h_theta2'(phi(x)), phi(x) passed to all three heads.

Here: three nn.Linear heads side by side in place of the model's last Linear layer, theta and
theta2' with requires_grad False (so they are in no optimizer and their weight decay is none),
theta1' a new parameter in the optimizer (fresh state: the paper does not say; every
re-implementation does so), the encoder's parameters and, with keep-optim=1, their optimizer
state carried into the new optimizer; the encoder's gradient flows through all three heads (the
paper freezes parameters, not features). Warmstart keeps the one Linear layer W = W_theta + W1'
- W2' and the frozen part C = W_theta - W2' (docs/LEARNERS.md): what is compared is W against
the sum of the three torch heads, the encoder's parameters, every optimizer moment (the head's
against theta1''s), each parameter's step count, C, the units counted and the eval-mode logits.

    /usr/bin/python3 tests/parity/test_remedy_inject.py BUILD_DIR

Cases, each injecting when round 1 begins (--begin 1, the round's fresh initialisation
`begin.fresh.*` as theta1' = theta2') after Adam warmed up two steps, then 4 updates: the MLP
with Adam, keep-optim=1; the MLP with LayerNorm, Adam with coupled weight decay; Kumar et al.'s
CNN with AdamW (decoupled decay); the CNN with LayerNorm, keep-optim=0 (every state fresh);
the MLP with SGD and weight decay. At the injection the predictions are unchanged: warmstart's
head is bit for bit what it was, torch's three heads give the old logits within 1e-6. Negative
controls, each told apart: the frozen twin's output detached from the encoder (Plasticine's
Injector, `new_a(x) - new_b(x).detach()`); theta1' inheriting the old head's optimizer state;
and, under AdamW, the fold decayed as one layer (W toward 0 rather than theta1')."""

import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, build_dir, import_torch, rel_err  # noqa: E402

torch = import_torch()

import remedy_common as rc  # noqa: E402

STEPS = 4
LR = 1e-2
CONTROL = [None]  # "detach", "inherit" or "fold-decay": the negative controls


def head_name(model):
    return "output_layer" if hasattr(model, "conv1") else f"lm{model.n + 1}"


class ThreeHeads(torch.nn.Module):
    """h_theta(z) + h_theta1'(z) - h_theta2'(z): theta the old head and theta2' frozen, theta1'
    trainable; theta1' = theta2' = the fresh head at the injection."""

    def __init__(self, old, fresh_w, fresh_b):
        super().__init__()
        lin = lambda: torch.nn.Linear(old.in_features, old.out_features)  # noqa: E731
        self.theta, self.new, self.twin = lin(), lin(), lin()
        with torch.no_grad():
            self.theta.weight.copy_(old.weight), self.theta.bias.copy_(old.bias)
            for h in (self.new, self.twin):
                h.weight.copy_(torch.from_numpy(fresh_w)), h.bias.copy_(torch.from_numpy(fresh_b))
        for p in (*self.theta.parameters(), *self.twin.parameters()):
            p.requires_grad_(False)

    def forward(self, z):
        twin = self.twin(z)
        return self.theta(z) + self.new(z) - (twin.detach() if CONTROL[0] == "detach" else twin)

    def folded(self, what):
        """theta + theta1' - theta2' (float64), and C = theta - theta2'."""
        t, n, w = (getattr(h, what).detach().double().numpy() for h in (self.theta, self.new, self.twin))
        return t + n - w, t - w


def make_optimizer(params, kind, wd):
    if kind == "sgd":
        return torch.optim.SGD(params, lr=LR, weight_decay=wd)
    return (torch.optim.AdamW if kind == "adamw" else torch.optim.Adam)(params, lr=LR, weight_decay=wd)


def inject(model, opt, fresh, kind, wd, keep_optim):
    """The injection: three heads in place of the last Linear layer; the optimizer over the encoder
    (its state carried with keep-optim=1) and theta1'. Returns (heads, optimizer)."""
    name = head_name(model)
    old = getattr(model, name)
    encoder = [p for n, p in model.named_parameters() if not n.startswith(name + ".")]
    heads = None if CONTROL[0] == "fold-decay" else ThreeHeads(old, fresh[f"{name}.weight"], fresh[f"{name}.bias"])
    # fold-decay: the one Linear layer W trained (and decayed) as such, its state fresh
    new = make_optimizer(encoder + list((heads.new if heads else old).parameters()), kind, wd)
    for p in encoder if keep_optim and kind != "sgd" else []:  # plain SGD has no state
        if p in opt.state:
            new.state[p] = opt.state[p]
    if heads is None:
        return None, new
    if CONTROL[0] == "inherit":
        new.state[heads.new.weight], new.state[heads.new.bias] = opt.state[old.weight], opt.state[old.bias]
    setattr(model, name, heads)
    return heads, new


def compare(rep, label, got, meta, model, heads, opt, x, logits0):
    name = head_name(model)
    enc = {n: p for n, p in model.named_parameters() if not n.startswith(name + ".")}
    params = {n: p.detach().numpy() for n, p in enc.items()}
    folded = {f"{name}.{w}": heads.folded(w) for w in ("weight", "bias")}
    params.update({n: f for n, (f, _) in folded.items()})
    e, n = rc.worst(got, params, "param.")
    rep.check(e <= rc.PARAM_TOL, f"{label}: parameters (the head: the sum of three), max rel err {e:.1e} ({n})")
    owner = dict(enc, **{f"{name}.{w}": getattr(heads.new, w) for w in ("weight", "bias")})
    moments = {f"opt.{k}.{n}": opt.state[p][k].numpy() for n, p in owner.items() for k in ("exp_avg", "exp_avg_sq")
               if k in opt.state.get(p, {})}
    em, nm = rc.worst(got, moments)
    rep.check(em <= rc.MOMENT_TOL, f"{label}: optimizer moments (the head's: theta1''s), {len(moments)} arrays, "
                                   f"max rel err {em:.1e} ({nm})")
    steps = {n: int(opt.state.get(p, {}).get("step", 0)) for n, p in owner.items()}
    own = {n: int(got[f"opt.param_step.{n}"]) for n in steps}
    if isinstance(opt, torch.optim.SGD):  # no state: warmstart's counts are its own
        own = steps
    rep.check(own == steps, f"{label}: every parameter's step count as torch's {sorted(set(steps.values()))}")
    c = np.concatenate([folded[f"{name}.{w}"][1].ravel() for w in ("weight", "bias")])
    ec = rel_err(got["learner.own.inject.frozen"], c)
    rep.check(ec <= rc.PARAM_TOL, f"{label}: the frozen part C = theta - theta2', max rel err {ec:.1e}")
    rep.check(meta.get("learner.own.inject.injections") == "1" and int(got["replaced"]) == heads.new.out_features,
              f"{label}: one injection, {int(got['replaced'])} head units counted")
    model.eval()
    with torch.no_grad():
        el = rel_err(got["eval_logits"], model(x[0]).numpy())
    rep.check(el <= rc.PARAM_TOL, f"{label}: eval-mode logits (three heads), max rel err {el:.1e}")
    rep.check(logits0 <= 1e-6, f"{label}: torch's three heads at the injection give the old logits, rel err {logits0:.1e}")


def case(rep, tool, tmp, label, kind, opt_kind="adam", wd=0.0, keep_optim=1, seed=0):
    model = rc.build(torch, kind, seed)
    x, y = rc.batches(torch, kind, STEPS, 16, seed + 1)
    opt = rc.warm_up_adam(torch, model, x, y, LR)
    state = rc.adam_state(torch, opt, model) if opt_kind != "sgd" else None
    flags = ["--opt", "sgd" if opt_kind == "sgd" else "adam", "--lr", str(LR), "--wd", str(wd), "--begin", "1"]
    flags += ["--adamw"] if opt_kind == "adamw" else []
    name = head_name(model)
    before = {w: getattr(getattr(model, name), w).detach().numpy().copy() for w in ("weight", "bias")}
    got, meta = rc.run_tool(tool, tmp, kind, f"inject:keep-optim={keep_optim}", model, x, y, STEPS, state, flags)
    fresh = {n[len("begin.fresh."):]: v for n, v in got.items() if n.startswith("begin.fresh.")}
    with torch.no_grad():
        old_logits = model(x[0]).numpy()
    heads, opt = inject(model, opt, fresh, opt_kind, wd, keep_optim)
    with torch.no_grad():
        logits0 = rel_err(model(x[0]).numpy(), old_logits)
    rc.torch_train(torch, model, opt, x, y, STEPS)
    if CONTROL[0]:
        params = {n: p.detach().numpy() for n, p in model.named_parameters() if not n.startswith(name + ".")}
        if heads is not None:
            params.update({f"{name}.{w}": heads.folded(w)[0] for w in ("weight", "bias")})
        else:
            params.update({f"{name}.{w}": getattr(getattr(model, name), w).detach().numpy() for w in ("weight", "bias")})
        e, n = rc.worst(got, params, "param.")
        rep.check(e > 100 * rc.PARAM_TOL, f"negative control ({label}): told apart, parameters' error {e:.1e} ({n})")
        return
    same = all(np.array_equal(got[f"begin.param.{name}.{w}"], before[w]) for w in before)
    rep.check(same, f"{label}: warmstart's head unchanged bit for bit at the injection (the same predictions)")
    compare(rep, label, got, meta, model, heads, opt, x, logits0)


def main():
    tool = os.path.join(build_dir(), "parity_tool")
    rep = Report()
    with tempfile.TemporaryDirectory() as tmp:
        case(rep, tool, tmp, "mlp, Adam, keep-optim=1", "mlp")
        case(rep, tool, tmp, "mlp with LayerNorm, Adam with weight decay 0.05", "mlp-ln", wd=0.05, seed=2)
        case(rep, tool, tmp, "cnn, AdamW with weight decay 0.1", "cnn", "adamw", wd=0.1, seed=4)
        case(rep, tool, tmp, "cnn with LayerNorm, Adam, keep-optim=0", "cnn-ln", keep_optim=0, seed=6)
        case(rep, tool, tmp, "mlp, SGD with weight decay 0.05", "mlp", "sgd", wd=0.05, seed=8)
        for control, label, kind, opt_kind, wd in (
            ("detach", "the twin's output detached", "mlp", "adam", 0.0),
            ("inherit", "theta1' inheriting the old head's state", "mlp-ln", "adam", 0.0),
            ("fold-decay", "AdamW decaying the folded head", "cnn", "adamw", 0.1),
        ):
            CONTROL[0] = control
            case(rep, tool, tmp, label, kind, opt_kind, wd, seed=4 if kind == "cnn" else 0)
    rep.finish()


if __name__ == "__main__":
    main()
