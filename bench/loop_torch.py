#!/usr/bin/python3
"""The lean PyTorch training loop that bench/loop.sh times warmstart's whole loop against
(bench/README.md, "The training loop").

The paper's MLP (3072-100-100-10) with Adam lr 1e-3, batch 128, trained for a fixed number of
epochs on the paper protocol's training part of CIFAR-10 (a random 2/3 of the training files),
as lean as PyTorch allows: the images are read once and normalised once, (x/255-0.5)/0.5, into
one float tensor; every epoch draws a permutation and indexes a batch out of that tensor
(x[perm[s:s+128]]), then zero_grad, forward, cross-entropy, backward, Adam step, and counts the
batch's correct predictions (.item(), as run.py's on-the-fly accuracy does). Nothing else: no
DataLoader, no evaluation. The same process also times the isolated step (bench_torch.py's:
one batch already in memory, stepped repeatedly) so that the loop's efficiency -- step time /
loop time per step -- comes from one run.

    /usr/bin/python3 bench/loop_torch.py --data DIR [--threads 2] [--epochs 5] [--steps 300]

Prints key=value lines:
    loop impl=torch threads=2 examples=33333 epochs=5 steps=1305 seconds=... ms_per_step=... best_epoch_ms_per_step=...
    step impl=torch threads=2 median_ms=... min_ms=...
"""
import argparse
import os
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load_cifar(root):
    xs, ys = [], []
    for i in range(1, 6):
        raw = np.fromfile(os.path.join(root, f"data_batch_{i}.bin"), dtype=np.uint8).reshape(-1, 3073)
        ys.append(raw[:, 0].astype(np.int64))
        xs.append(raw[:, 1:])
    return np.concatenate(xs), np.concatenate(ys)


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(3072, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(),
                         nn.Linear(100, 10))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="a folder with CIFAR-10's data_batch_[1-5].bin")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--steps", type=int, default=300, help="timed isolated steps")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x8, y = load_cifar(a.data)
    keep = np.random.default_rng(a.seed).permutation(len(y))[: len(y) * 2 // 3]  # the paper's 2/3
    X = torch.from_numpy(x8[keep]).float().div_(255.0).sub_(0.5).div_(0.5)  # normalised once
    Y = torch.from_numpy(y[keep])
    n = len(Y)

    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    steps, best, t_all = 0, float("inf"), 0.0
    for _ in range(a.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        hits = 0
        for s in range(0, n, 128):
            b = perm[s:s + 128]
            xb, yb = X[b], Y[b]
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            hits += (out.argmax(1) == yb).sum().item()
            steps += 1
        dt = time.perf_counter() - t0
        t_all += dt
        best = min(best, dt / ((n + 127) // 128))
    print(f"loop impl=torch threads={a.threads} examples={n} epochs={a.epochs} steps={steps} seconds={t_all:.4f} "
          f"ms_per_step={1000 * t_all / steps:.4f} best_epoch_ms_per_step={1000 * best:.4f} train_acc={hits / n:.4f}")

    # The isolated step, on one batch of the same data (bench_torch.py's measurement).
    xb, yb = X[:128].clone(), Y[:128].clone()
    times = []
    for i in range(30 + a.steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        loss.item()
        if i >= 30:
            times.append(time.perf_counter() - t0)
    print(f"step impl=torch threads={a.threads} median_ms={1000 * statistics.median(times):.4f} "
          f"min_ms={1000 * min(times):.4f}")


if __name__ == "__main__":
    main()
