"""Checkpoints as dicts of NumPy arrays: PyTorch's names and shapes, loaded into an equal torch
module; a chain's checkpoint with a Python remedy's state; a corrupt file named."""
import os
import signal

import numpy as np
import pytest

import warmstart
from conftest import ONLINE, TINY
from remedies import L1Init


@pytest.fixture(scope="module")
def saved(tmp_path_factory, fashion_mnist):
    out = tmp_path_factory.mktemp("saved")
    warmstart.Experiment("batch", out=out, save=out / "models", learners=["warm"], layer_norm=True,
                         **dict(TINY, hidden=[16, 12], seeds=1)).run(progress=False, quiet=True)
    return out / "models" / "seed1-warm.safetensors"


def test_a_model_checkpoint_as_numpy(saved):
    d = warmstart.load_checkpoint(saved)
    assert list(d) == ["lm1.weight", "lm1.bias", "ln1.weight", "ln1.bias", "lm2.weight", "lm2.bias",
                       "ln2.weight", "ln2.bias", "lm3.weight", "lm3.bias"]
    assert d["lm1.weight"].shape == (16, 784) and d["lm3.weight"].shape == (10, 12) and d["lm3.bias"].shape == (10,)
    assert all(a.dtype == np.float32 and a.flags.c_contiguous and a.flags.writeable for a in d.values())
    assert np.isfinite(d["lm1.weight"]).all() and d["lm1.weight"].std() > 0


def test_loaded_into_pytorch(saved):
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class MLP(nn.Module):  # the library's MLP with LayerNorm: Linear, LayerNorm, ReLU per hidden layer
        def __init__(self):
            super().__init__()
            self.lm1, self.ln1 = nn.Linear(784, 16), nn.LayerNorm(16)
            self.lm2, self.ln2 = nn.Linear(16, 12), nn.LayerNorm(12)
            self.lm3 = nn.Linear(12, 10)

        def forward(self, x):
            x = torch.relu(self.ln1(self.lm1(x)))
            return self.lm3(torch.relu(self.ln2(self.lm2(x))))

    d = warmstart.load_checkpoint(saved)
    model = MLP()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in d.items()})  # strict: every name matches
    for name, tensor in model.state_dict().items():
        np.testing.assert_array_equal(tensor.numpy(), d[name])
    # its forward, against the same network in NumPy
    x = np.random.default_rng(0).standard_normal((5, 784)).astype(np.float32)

    def layer_norm(h, w, b):
        return (h - h.mean(1, keepdims=True)) / np.sqrt(h.var(1, keepdims=True) + 1e-5) * w + b

    h = np.maximum(layer_norm(x @ d["lm1.weight"].T + d["lm1.bias"], d["ln1.weight"], d["ln1.bias"]), 0)
    h = np.maximum(layer_norm(h @ d["lm2.weight"].T + d["lm2.bias"], d["ln2.weight"], d["ln2.bias"]), 0)
    expected = h @ d["lm3.weight"].T + d["lm3.bias"]
    with torch.no_grad():
        np.testing.assert_allclose(model(torch.from_numpy(x)).numpy(), expected, rtol=1e-4, atol=1e-5)


class StopsAfterFirstRound(L1Init):
    # Ctrl-C as round 1 begins: round 0 is recorded and checkpointed by then (a stop asked while a
    # round still trains or evaluates abandons that round, checkpoint and all).
    def begin(self, step):
        if step.round == 1:
            os.kill(os.getpid(), signal.SIGINT)


def test_a_chain_checkpoint_holds_the_remedys_state(tmp_path, fashion_mnist):
    out = tmp_path / "chain"
    with pytest.raises(KeyboardInterrupt):
        warmstart.Experiment("online", out=out, learners=["warm"], **ONLINE).add_remedy(
            "py-l1", StopsAfterFirstRound, lam=0.01).run(progress=False, quiet=True)
    files = sorted((out / "units" / "checkpoints").glob("*py-l1*.safetensors"))
    assert files, sorted(os.listdir(out / "units" / "checkpoints"))
    d = warmstart.load_checkpoint(files[0])
    assert "learner.own.theta0" in d and d["learner.own.theta0"].dtype == np.float32
    assert d["learner.own.theta0"].std() > 0  # the first weights, not the zeros __init__ made


def test_a_corrupt_checkpoint_is_named(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    with pytest.raises(warmstart.Error, match="bad.safetensors") as info:
        warmstart.load_checkpoint(bad)
    assert info.value.status in (warmstart.lib.WARMSTART_ERR_FORMAT, warmstart.lib.WARMSTART_ERR_IO)
    with pytest.raises(warmstart.Error, match="missing.safetensors"):
        warmstart.load_checkpoint(tmp_path / "missing.safetensors")
