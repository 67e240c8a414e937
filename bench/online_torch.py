#!/usr/bin/python3
"""The default online demo (`warmstart online --k0 1000 --k 1000 --rounds 5 --seeds 3`, MLP
784-100-100-10, Adam lr 1e-3, batch 128, threshold 0.99) in the official code's protocol, in
PyTorch, for a wall-time comparison (bench/README.md, "Online"):

    /usr/bin/python3 bench/online_torch.py [--threads 2] [--seeds 3] [--rounds 5] [--k 1000]

As the official code (JordanAsh/warm_start, run.py): a DataLoader over the examples seen so
far with shuffling, batch 128; a fresh optimizer every round; each epoch's training accuracy
measured on the fly over its batches, training stopped once it reaches the threshold; the
warm learner keeps its model across rounds, the random one is rebuilt (a fresh nn.Module)
every round; test accuracy on the official test set after each round. Data: Debian's
Fashion-MNIST IDX files, normalised with the training pool's mean/std (warmstart's default
protocol), held as one float tensor (loaded once, as warmstart does). Prints one key=value
line per seed and the total wall time.
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.environ.get("WARMSTART_DATA", "")
ROOT = os.path.join(ROOT, "fashion-mnist") if ROOT else "/usr/share/datasets/fashion-mnist"


def idx(name):
    for p in (os.path.join(ROOT, name + ".gz"), os.path.join(ROOT, name)):
        if os.path.exists(p):
            raw = (gzip.open if p.endswith(".gz") else open)(p, "rb").read()
            nd = raw[3]
            dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
            return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)
    raise SystemExit(f"missing {name} in {ROOT}")


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(),
                         nn.Linear(100, 10))


def train_to_threshold(model, x, y, threshold, gen, max_epochs=200):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    epochs = 0
    for _ in range(max_epochs):
        epochs += 1
        perm = torch.randperm(len(x), generator=gen)
        hits = 0
        for s in range(0, len(x), 128):
            b = perm[s:s + 128]
            out = model(x[b])
            loss = F.cross_entropy(out, y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            hits += (out.argmax(1) == y[b]).sum().item()
        if hits / len(x) >= threshold:
            break
    return epochs


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    return sum((model(x[s:s + 1000]).argmax(1) == y[s:s + 1000]).sum().item() for s in range(0, len(x), 1000)) / len(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--k", type=int, default=1000)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t_all = time.perf_counter()
    xtr, ytr = idx("train-images-idx3-ubyte"), idx("train-labels-idx1-ubyte")
    xte, yte = idx("t10k-images-idx3-ubyte"), idx("t10k-labels-idx1-ubyte")
    mean, std = xtr.mean() / 255.0, xtr.std() / 255.0
    norm = lambda v: torch.from_numpy(((v.astype(np.float32) / 255.0 - mean) / std)[:, None])
    Xtr, Ytr, Xte, Yte = norm(xtr), torch.from_numpy(ytr.astype(np.int64)), norm(xte), torch.from_numpy(yte.astype(np.int64))
    for seed in range(1, a.seeds + 1):
        t0 = time.perf_counter()
        torch.manual_seed(seed)
        order = torch.randperm(len(Xtr))
        warm = mlp()
        accs = {"warm": [], "random": []}
        for r in range(a.rounds):
            seen = order[:a.k * (r + 1)]
            for name in ("warm", "random"):
                model = warm if name == "warm" else mlp()
                gen = torch.Generator().manual_seed(seed * 1000 + r)
                train_to_threshold(model, Xtr[seen], Ytr[seen], 0.99, gen)
                accs[name].append(accuracy(model, Xte, Yte))
        print(f"online impl=torch seed={seed} rounds={a.rounds} threads={a.threads} seconds={time.perf_counter() - t0:.2f} "
              f"final_warm_acc={accs['warm'][-1]:.4f} final_random_acc={accs['random'][-1]:.4f}")
    print(f"online impl=torch total_seconds={time.perf_counter() - t_all:.2f}")


if __name__ == "__main__":
    main()
