#!/usr/bin/python3
"""PyTorch side of the training-step benchmark (bench/README.md).

Times the same step as build/bench_mlp: zero_grad, forward in train mode,
softmax cross-entropy (mean), backward, optimizer step, on a batch already
prepared as float32 tensors. Warm-up, then the median of many individually
timed steps. Run with Debian's python3-torch:

    /usr/bin/python3 bench/bench_torch.py [--steps N] [--warmup N] [--threads 1,2] [--batch B] [--precision fp32,bf16]

Prints one line per case, in the same key=value form as bench_mlp:
    bench impl=torch model=3072-100-100-10 opt=sgd threads=1 batch=128 median_ms=2.100 min_ms=2.000 steps=200
"""
import argparse
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CASES = [
    ("3072-100-100-10", (3, 32, 32), [100, 100], 10, "sgd"),
    ("3072-100-100-10", (3, 32, 32), [100, 100], 10, "adam"),
    ("784-512-512-10", (1, 28, 28), [512, 512], 10, "sgd-momentum"),
    ("784-512-512-10", (1, 28, 28), [512, 512], 10, "adam"),
]


def make_model(inp, hidden, classes):
    layers = [nn.Flatten()]
    prev = 1
    for d in inp:
        prev *= d
    for h in hidden:
        layers += [nn.Linear(prev, h), nn.ReLU()]
        prev = h
    layers.append(nn.Linear(prev, classes))
    return nn.Sequential(*layers)


def make_opt(kind, params):
    if kind == "sgd":
        return torch.optim.SGD(params, lr=1e-3)
    if kind == "sgd-momentum":
        return torch.optim.SGD(params, lr=1e-3, momentum=0.9)
    if kind == "adam":
        return torch.optim.Adam(params, lr=1e-3)
    raise ValueError(kind)


def timed_train_steps(model, opt, x, y, warmup, steps, bf16=False):
    """Time warmup + steps training steps; returns (seconds of the timed steps, loss sum).
    bf16: the forward under CPU autocast (bf16 Linear, fp32 master weights and optimizer),
    the usual PyTorch mixed precision."""
    times, loss_sum = [], 0.0
    for s in range(warmup + steps):
        t0 = time.perf_counter()
        opt.zero_grad()  # 1.13 default: zero the .grad tensors in place
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = model(x)
            loss = F.cross_entropy(out, y)
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t0
        if s >= warmup:
            times.append(dt)
        loss_sum += loss.item()  # outside the timed region
    return times, loss_sum


def run_case(name, inp, hidden, classes, opt_kind, threads, precision, batch, warmup, steps):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = make_model(inp, hidden, classes)
    model.train()
    opt = make_opt(opt_kind, model.parameters())
    x = torch.randn(batch, *inp)
    y = torch.randint(0, classes, (batch,))
    times, loss_sum = timed_train_steps(model, opt, x, y, warmup, steps, precision == "bf16")
    med = statistics.median(times)
    print(f"bench impl=torch model={name} opt={opt_kind} threads={threads} batch={batch} "
          f"median_ms={med * 1e3:.3f} min_ms={min(times) * 1e3:.3f} steps={steps} "
          f"mean_loss={loss_sum / (warmup + steps):.4f} precision={precision}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--precision", default="fp32", help="comma-separated: fp32, bf16 (autocast)")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",") if t]
    print(f"# torch {torch.__version__}", file=sys.stderr)
    for case in CASES:
        for t in threads:
            for p in a.precision.split(","):
                run_case(*case, t, p, a.batch, a.warmup, a.steps)


if __name__ == "__main__":
    main()
