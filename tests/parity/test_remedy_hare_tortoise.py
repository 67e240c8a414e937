#!/usr/bin/python3
"""Parity with PyTorch of Hare & Tortoise (Lee et al., ICML 2024), transcribed from the authors'
code (dojeon-ai/Hare-Tortoise @ 4ec5ebb, src/trainers/base.py: the tortoise `target_model` a
deepcopy of the model, L35-38; its EMA after every optimizer step, L151-157; the hare set to the
tortoise after epoch `epoch` when epoch % reset_every == 0, epoch counted from 0 within each task,
L182-188; the optimizer left as it is) into PyTorch here:

  after each opt.step(), in no_grad: every tortoise parameter and buffer <- m * tortoise +
  (1 - m) * hare; at a reset, every hare parameter and buffer <- the tortoise's.

Warmstart's own choices (docs/LEARNERS.md), transcribed as such: the reset copies the tortoise
(the paper); their code assigns the tortoise's storage to the hare (`fast.data = slow.data`), so
that the next optimizer step moves both and the tortoise equals the hare after that step -- the
negative control transcribes exactly that and must be told apart; num_batches_tracked of the
tortoise follows the hare's (their code averages it into a float; it is never read with BatchNorm
momentum 0.1); a period given in updates (`every`) counts the round's updates.

    /usr/bin/python3 tests/parity/test_remedy_hare_tortoise.py BUILD_DIR

Cases, Adam warmed up two steps first: an MLP resetting every 2 updates; an MLP with LayerNorm
every 3; Kumar et al.'s CNN with the period in epochs (their loop: 40 examples in batches of 16,
3 updates an epoch, reset_every 2: resets after the round's updates 3 and 9), momentum 0.9 so that
the tortoise moves visibly; and ResNet-18 with BatchNorm, plain SGD at lr 0 (the weights stay, so
ReLU kinks cannot move them; the running statistics move with every train-mode forward): the
tortoise's running statistics averaged and copied back at resets. Compared: the hare's parameters
(1e-5 relative) and its optimizer state (remedy_common.check_all), its buffers, the tortoise's
parameters and buffers (eval.param.*, eval.buffer.*) and its arena in the checkpoint
(learner.own.tortoise.w), and eval_logits, the tortoise's eval-mode logits (the model the
scenario evaluates). Negative controls: the aliasing transcription of their code; and the hare's
logits instead of the tortoise's."""

import copy
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, build_dir, import_torch, rel_err  # noqa: E402

torch = import_torch()

import remedy_common as rc  # noqa: E402

LR = 1e-2
TOL = rc.PARAM_TOL
F = torch.nn.functional


def ema_update(tortoise, hare, m):
    """base.py L151-157, with num_batches_tracked the hare's (our choice)."""
    with torch.no_grad():
        for slow, fast in zip(tortoise.parameters(), hare.parameters()):
            slow.data = m * slow.data + (1 - m) * fast.data
        for (name, slow), fast in zip(tortoise.named_buffers(), hare.buffers()):
            if name.endswith("num_batches_tracked"):
                slow.data = fast.data.clone()
            else:
                slow.data = m * slow.data + (1 - m) * fast.data


def reset(tortoise, hare, alias):
    """base.py L182-188: the paper's copy, or (alias) their code's shared storage."""
    with torch.no_grad():
        for slow, fast in zip(tortoise.parameters(), hare.parameters()):
            if alias:
                fast.data = slow.data
            else:
                fast.data.copy_(slow.data)
        for (name, slow), fast in zip(tortoise.named_buffers(), hare.buffers()):
            if name.endswith("num_batches_tracked"):
                continue
            if alias:
                fast.data = slow.data
            else:
                fast.data.copy_(slow.data)


def train(model, tortoise, opt, x, y, epochs, per_epoch, m, due_epoch, due_step, alias):
    """Their loop: epochs of per_epoch updates; the EMA after each step; a reset after an
    update count (due_step) or after an epoch (due_epoch, 0-based)."""
    k = 0
    for epoch in range(epochs):
        for _ in range(per_epoch):
            k += 1
            j = (k - 1) % len(x)
            model.train()
            opt.zero_grad()
            F.cross_entropy(model(x[j]), y[j]).backward()
            opt.step()
            ema_update(tortoise, model, m)
            if due_step(k):
                reset(tortoise, model, alias)
        if due_epoch(epoch):
            reset(tortoise, model, alias)


def perturb_bn(model, seed):
    """BatchNorm's parameters and running statistics moved off their defaults."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                n = mod.num_features
                mod.weight.copy_(1 + 0.2 * torch.randn(n, generator=g))
                mod.bias.copy_(0.2 * torch.randn(n, generator=g))
                mod.running_mean.copy_(0.3 * torch.randn(n, generator=g))
                mod.running_var.copy_(0.5 + torch.rand(n, generator=g))
                mod.num_batches_tracked.fill_(7)


def case(rep, tool, tmp, label, kind, spec, steps, per_epoch=None, reset_every_epochs=None, examples=None,
         every=None, m=0.999, sgd_lr0=False, control=None, seed=0, B=16):
    model = rc.build(torch, kind, seed)
    if kind == "resnet":
        perturb_bn(model, seed + 2)
    x, y = rc.batches(torch, kind, steps, B, seed + 1)
    if sgd_lr0:
        opt = torch.optim.SGD(model.parameters(), lr=0.0)
        flags, opt_state = ["--opt", "sgd", "--lr", "0"], None
    else:
        opt = rc.warm_up_adam(torch, model, x, y, LR)
        flags, opt_state = ["--opt", "adam", "--lr", str(LR)], rc.adam_state(torch, opt, model)
    if examples:
        flags += ["--examples", str(examples)]
    got, _ = rc.run_tool(tool, tmp, kind, spec, model, x, y, steps, opt_state, flags)
    tortoise = copy.deepcopy(model)  # base.py L36: at the start, the hare's weights
    for p in tortoise.parameters():
        p.requires_grad = False
    if every:
        train(model, tortoise, opt, x, y, 1, steps, m, lambda e: False, lambda k: k % every == 0, control == "alias")
    else:
        train(model, tortoise, opt, x, y, steps // per_epoch, per_epoch, m, lambda e: e % reset_every_epochs == 0,
              lambda k: False, control == "alias")
    tortoise.eval()
    with torch.no_grad():
        logits_t = tortoise(x[0]).numpy()
        model.eval()
        logits_h = model(x[0]).numpy()
    t_params, t_bufs = rc.state_of(tortoise), rc.buffers_of(tortoise)
    e_t, n_t = rc.worst(got, t_params, "eval.param.")
    if control == "alias":
        rep.check(e_t > 100 * TOL, f"{label}: told apart from their code's aliasing reset (tortoise err {e_t:.1e})")
        return
    if control == "hare":
        e = rel_err(got["eval_logits"], logits_h)
        rep.check(e > 100 * TOL, f"{label}: eval_logits told apart from the hare's (err {e:.1e})")
        return
    if sgd_lr0:
        e, n = rc.worst(got, rc.state_of(model), "param.")
        rep.check(e <= TOL, f"{label}: hare parameters, max rel err {e:.1e} ({n}) <= {TOL:g}")
    else:
        rc.check_all(rep, label, got, model, opt, torch)
    rep.check(e_t <= TOL, f"{label}: tortoise parameters, max rel err {e_t:.1e} ({n_t}) <= {TOL:g}")
    arena = np.concatenate([v.ravel() for n, v in got.items() if n.startswith("eval.param.")])
    rep.check(np.array_equal(arena, got["learner.own.tortoise.w"]),
              f"{label}: the checkpoint's learner.own.tortoise.w is the tortoise")
    if t_bufs:
        hare_bufs = rc.buffers_of(model)
        floats = {n: v for n, v in hare_bufs.items() if v.dtype == np.float32}
        e_h, n_h = rc.worst(got, floats, "buffer.")
        rep.check(e_h <= TOL, f"{label}: hare running statistics, max rel err {e_h:.1e} ({n_h}) <= {TOL:g}")
        tf = {n: v for n, v in t_bufs.items() if v.dtype == np.float32}
        e_b, n_b = rc.worst(got, tf, "eval.buffer.")
        rep.check(e_b <= TOL, f"{label}: tortoise running statistics, max rel err {e_b:.1e} ({n_b}) <= {TOL:g}")
        counts = all(int(got[f"eval.buffer.{n}"]) == int(v) == int(got[f"buffer.{n}"])
                     for n, v in t_bufs.items() if n.endswith("num_batches_tracked"))
        rep.check(counts, f"{label}: num_batches_tracked: the tortoise's is the hare's")
        moved = max(rel_err(tf[n], floats[n]) for n in tf)
        rep.check(moved > 100 * TOL, f"{label}: the tortoise's statistics are not the hare's (differ by {moved:.1e})")
    e = rel_err(got["eval_logits"], logits_t)
    rep.check(e <= TOL, f"{label}: eval_logits are the tortoise's (eval mode), max rel err {e:.1e} <= {TOL:g}")
    return got


def main():
    tool = os.path.join(build_dir(), "parity_tool")
    rep = Report()
    with tempfile.TemporaryDirectory() as tmp:
        case(rep, tool, tmp, "mlp, every 2", "mlp", "hare-tortoise:every=2", 5, every=2)
        case(rep, tool, tmp, "mlp with LayerNorm, every 3, momentum 0.9", "mlp-ln",
             "hare-tortoise:every=3:momentum=0.9", 7, every=3, m=0.9, seed=5)
        got = case(rep, tool, tmp, "cnn, every 2 epochs of 40 examples, momentum 0.9", "cnn",
                   "hare-tortoise:epochs=2:momentum=0.9", 12, per_epoch=3, reset_every_epochs=2, examples=40,
                   m=0.9, seed=7)
        rep.check(list(got["learner.own.tortoise.schedule"]) == [1, 0, 3],
                  "cnn: the schedule in the checkpoint (started, round's first update, updates an epoch) [1, 0, 3]")
        case(rep, tool, tmp, "resnet-18 with BatchNorm, every 2, momentum 0.9, lr 0", "resnet",
             "hare-tortoise:every=2:momentum=0.9", 5, every=2, m=0.9, sgd_lr0=True, seed=9, B=8)
        case(rep, tool, tmp, "negative control", "mlp-ln", "hare-tortoise:every=3:momentum=0.9", 7, every=3, m=0.9,
             seed=5, control="alias")
        case(rep, tool, tmp, "negative control", "mlp", "hare-tortoise:every=2", 5, every=2, control="hare")
    rep.finish()


if __name__ == "__main__":
    main()
