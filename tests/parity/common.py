"""Shared pieces of the PyTorch parity tests: the reference modules (as the
official code of Ash & Adams 2020 defines them: Linear layers lm1, lm2, lm3
with ReLU between; logistic regression as one Linear called `linear`), the
error measure and the ok/FAIL reporting."""

import os
import sys


def import_torch():
    """torch, or exit 77 (skip) if python3-torch is not installed."""
    try:
        import numpy  # noqa: F401  (python3-torch depends on it)
        import torch
    except Exception:  # ImportError, or a broken install
        print("skip - python3-torch not installed")
        sys.exit(77)
    torch.set_num_threads(1)
    return torch


def build_dir():
    if len(sys.argv) < 2:
        print(f"usage: {sys.argv[0]} BUILD_DIR", file=sys.stderr)
        sys.exit(2)
    return os.path.abspath(sys.argv[1])


def rel_err(a, b):
    """max|a - b| / max(max|b|, 1e-8): the error relative to the reference's scale."""
    import numpy as np  # here, so that a python without numpy still gets to the skip

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    return nan_to_inf(float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-8)))


def nan_to_inf(e):
    """NaN errors become inf, so that they fail every bound and win every max()."""
    return float("inf") if e != e else e


def make_modules(torch):
    nn = torch.nn
    F = torch.nn.functional

    class MLP(nn.Module):
        def __init__(self, input_size=3072, hidden=(100, 100), num_classes=10):
            super().__init__()
            sizes = [input_size, *hidden, num_classes]
            self.nlayers = len(sizes) - 1
            for i in range(self.nlayers):
                setattr(self, f"lm{i + 1}", nn.Linear(sizes[i], sizes[i + 1]))

        def forward(self, x):
            x = x.view(x.size(0), -1)
            for i in range(1, self.nlayers):
                x = F.relu(getattr(self, f"lm{i}")(x))
            return getattr(self, f"lm{self.nlayers}")(x)

    class LogReg(nn.Module):
        def __init__(self, input_size=3072, num_classes=10):
            super().__init__()
            self.linear = nn.Linear(input_size, num_classes)

        def forward(self, x):
            return self.linear(x.view(x.size(0), -1))

    return MLP, LogReg


class Report:
    """One line per check: "ok - ..." or "FAIL - ..."; exit status at the end."""

    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, cond, msg):
        if cond:
            self.passed += 1
            print(f"ok - {msg}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL - {msg}", flush=True)
        return cond

    def finish(self):
        print(f"# {self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed else 0)
