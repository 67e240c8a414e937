#!/usr/bin/python3
"""PyTorch side of the ResNet-18 benchmark (bench/README.md, "ResNet-18").

Times the same work as build/bench_resnet on the reference module of the
parity tests (tests/parity/common.py, make_resnet: kuangliu's CIFAR
ResNet-18 with the first stage's width and the input channels as arguments):

  step: zero_grad, forward in train mode, softmax cross-entropy (mean),
        backward, optimizer step (SGD lr 0.1 momentum 0.9, or Adam lr 1e-3);
  eval: forward in eval mode under torch.no_grad();
  profile: the training step (SGD momentum) under torch.profiler, self time
        of each aten op per step, for comparison with bench_resnet's per-op
        table (a one-off: bench/run_resnet.sh does not run it).

Warm-up, then the median of individually timed steps. Run one case per
process (bench/run_resnet.sh does), so that the peak RSS is the case's own:

    /usr/bin/python3 bench/bench_torch_resnet.py step|eval|profile --model w16-3x32x32 [--opt sgd-momentum|adam]
        [--threads 1] [--steps N] [--warmup N] [--batch B]

Prints one line per case, in the same key=value form as bench_resnet:
    bench impl=torch model=w16-3x32x32 opt=sgd-momentum threads=1 batch=128 median_ms=... min_ms=... steps=...
          mean_loss=... params=... base_rss_mb=... maxrss_mb=...
(opt=eval lines carry images_per_s instead of mean_loss); profile prints
    op impl=torch model=... threads=... batch=... name=aten::mkldnn_convolution calls_per_step=... self_ms_per_step=...
and a `total` line with the profiled steps' mean wall time. base_rss_mb is the
peak RSS once torch is imported, before any model exists; maxrss_mb the peak
at the end (resource.getrusage, ru_maxrss).
"""
import argparse
import os
import re
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "parity"))
from common import make_resnet  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_torch import timed_train_steps  # noqa: E402

CLASSES = 10


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def parse_model(s):
    m = re.fullmatch(r"w(\d+)-(\d+)x(\d+)x(\d+)", s)
    if not m:
        raise argparse.ArgumentTypeError(f"bad model '{s}' (want wWIDTH-CxHxW)")
    w, c, h, wd = (int(g) for g in m.groups())
    return s, w, (c, h, wd)


def make_opt(kind, params):
    if kind == "sgd-momentum":
        return torch.optim.SGD(params, lr=0.1, momentum=0.9)
    if kind == "adam":
        return torch.optim.Adam(params, lr=1e-3)
    raise ValueError(kind)


def run_case(mode, model_arg, opt_kind, threads, batch, warmup, steps, base_rss, precision="fp32"):
    name, width, inp = model_arg
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    ResNet18, _ = make_resnet(torch)
    model = ResNet18(num_classes=CLASSES, in_channels=inp[0], width=width)
    nparams = sum(p.numel() for p in model.parameters())
    x = torch.randn(batch, *inp)
    y = torch.randint(0, CLASSES, (batch,))
    times = []
    loss_sum = 0.0
    if mode == "profile":
        from torch.profiler import profile

        model.train()
        opt = make_opt("sgd-momentum", model.parameters())

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss

        for _ in range(warmup):
            step().item()
        with profile() as prof:
            t0 = time.perf_counter()
            for _ in range(steps):
                step().item()
            wall = (time.perf_counter() - t0) / steps
        for ev in sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total):
            if ev.self_cpu_time_total <= 0:
                continue
            print(f"op impl=torch model={name} threads={threads} batch={batch} name={ev.key.replace(' ', '_')} "
                  f"calls_per_step={ev.count / steps:g} self_ms_per_step={ev.self_cpu_time_total / 1e3 / steps:.3f}")
        print(f"total impl=torch model={name} threads={threads} batch={batch} steps={steps} "
              f"wall_ms_per_step={wall * 1e3:.3f}", flush=True)
        return
    if mode == "eval":
        model.eval()
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            for s in range(warmup + steps):
                t0 = time.perf_counter()
                model(x)
                dt = time.perf_counter() - t0
                if s >= warmup:
                    times.append(dt)
        opt_kind = "eval"
    else:
        model.train()
        opt = make_opt(opt_kind, model.parameters())
        times, loss_sum = timed_train_steps(model, opt, x, y, warmup, steps, bf16=precision == "bf16")
    med = statistics.median(times)
    extra = (f"images_per_s={batch / med:.1f}" if mode == "eval"
             else f"mean_loss={loss_sum / (warmup + steps):.4f}")
    print(f"bench impl=torch model={name} opt={opt_kind} threads={threads} batch={batch} "
          f"median_ms={med * 1e3:.3f} min_ms={min(times) * 1e3:.3f} steps={steps} {extra} "
          f"params={nparams} base_rss_mb={base_rss:.1f} maxrss_mb={rss_mb():.1f} precision={precision}", flush=True)


def main():
    base_rss = rss_mb()
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["step", "eval", "profile"])
    ap.add_argument("--model", type=parse_model, required=True)
    ap.add_argument("--opt", default="sgd-momentum", choices=["sgd-momentum", "adam"])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"],
                    help="bf16: the forward under CPU autocast (bf16 convolutions and Linear)")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",") if t]
    print(f"# torch {torch.__version__}", file=sys.stderr)
    for t in threads:
        run_case(a.mode, a.model, a.opt, t, a.batch, a.warmup, a.steps, base_rss, a.precision)


if __name__ == "__main__":
    main()
