"""Shared pieces of the PyTorch parity tests: the reference modules (as the
official code of Ash & Adams 2020 defines them: Linear layers lm1, lm2, lm3
with ReLU between (or tanh, as the authors' earlier code; with or without
biases); logistic regression as one Linear called `linear`; ResNet-18 as
kuangliu's CIFAR module), the error measure and the ok/FAIL reporting."""

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
        """act "relu" (the official code's) or "tanh" (the authors' earlier code,
        JordanAsh/warminit twoPhase.py); bias=False: Linear layers without biases
        (the paper's Figure 6)."""

        def __init__(self, input_size=3072, hidden=(100, 100), num_classes=10, act="relu", bias=True):
            super().__init__()
            sizes = [input_size, *hidden, num_classes]
            self.nlayers = len(sizes) - 1
            self.act = {"relu": F.relu, "tanh": torch.tanh}[act]
            for i in range(self.nlayers):
                setattr(self, f"lm{i + 1}", nn.Linear(sizes[i], sizes[i + 1], bias=bias))

        def forward(self, x):
            x = x.view(x.size(0), -1)
            for i in range(1, self.nlayers):
                x = self.act(getattr(self, f"lm{i}")(x))
            return getattr(self, f"lm{self.nlayers}")(x)

    class LogReg(nn.Module):
        def __init__(self, input_size=3072, num_classes=10, bias=True):
            super().__init__()
            self.linear = nn.Linear(input_size, num_classes, bias=bias)

        def forward(self, x):
            return self.linear(x.view(x.size(0), -1))

    return MLP, LogReg


def make_resnet(torch):
    """The official code's ResNet-18 (kuangliu's pytorch-cifar module: BasicBlock,
    1x1 conv + BN `shortcut` when the shape changes, avg_pool2d(out, 4), `linear`),
    with the first stage's width and the input channels as arguments (the
    official code, JordanAsh/warm_start resnet.py, hard-wires width 16 and 3
    input channels; kuangliu's original, 64).
    Returns (ResNet18, set_relu): ResNet18(num_classes, in_channels, width)
    builds one; set_relu(fn) makes every ReLU of every such module call fn(x)
    instead of F.relu(x), in forward order (stem, then per block the inner and
    the output ReLU), until set_relu(None)."""
    nn = torch.nn
    F = torch.nn.functional
    hook = {"fn": None}

    def relu(x):
        return F.relu(x) if hook["fn"] is None else hook["fn"](x)

    class BasicBlock(nn.Module):
        expansion = 1

        def __init__(self, in_planes, planes, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.shortcut = nn.Sequential()
            if stride != 1 or in_planes != self.expansion * planes:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                    nn.BatchNorm2d(self.expansion * planes),
                )

        def forward(self, x):
            out = relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += self.shortcut(x)
            return relu(out)

    class ResNet(nn.Module):
        def __init__(self, block, num_blocks, num_classes=10, in_channels=3, width=64):
            super().__init__()
            self.in_planes = width
            self.conv1 = nn.Conv2d(in_channels, width, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(width)
            self.layer1 = self._make_layer(block, width, num_blocks[0], stride=1)
            self.layer2 = self._make_layer(block, 2 * width, num_blocks[1], stride=2)
            self.layer3 = self._make_layer(block, 4 * width, num_blocks[2], stride=2)
            self.layer4 = self._make_layer(block, 8 * width, num_blocks[3], stride=2)
            self.linear = nn.Linear(8 * width * block.expansion, num_classes)

        def _make_layer(self, block, planes, num_blocks, stride):
            strides = [stride] + [1] * (num_blocks - 1)
            layers = []
            for s in strides:
                layers.append(block(self.in_planes, planes, s))
                self.in_planes = planes * block.expansion
            return nn.Sequential(*layers)

        def forward(self, x):
            out = relu(self.bn1(self.conv1(x)))
            out = self.layer1(out)
            out = self.layer2(out)
            out = self.layer3(out)
            out = self.layer4(out)
            out = F.avg_pool2d(out, 4)  # a 4x4 map for 32x32 and 28x28 inputs: the global average
            out = out.view(out.size(0), -1)
            return self.linear(out)

    def ResNet18(num_classes=10, in_channels=3, width=64):
        return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, in_channels, width)

    def set_relu(fn):
        hook["fn"] = fn

    return ResNet18, set_relu


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
