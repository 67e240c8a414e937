"""Remedies written in Python: equal bit for bit to the library's own, resumed bit for bit, their
views of the arenas, and their failures raised as they were."""
import os
import signal

import numpy as np
import pytest

import warmstart
from conftest import ONLINE, TINY, assert_same_results, timeless
from remedies import L1Init

LAMBDA = 0.01
BUILTIN = f"l1-init:lambda={LAMBDA:g}"


def beside_builtin(scenario, out, **options):
    e = warmstart.Experiment(scenario, out=out, learners=["warm", BUILTIN], layer_norm=True,
                             **dict(ONLINE if scenario == "online" else TINY, hidden=[16, 16], **options))
    return e.add_remedy("py-l1", L1Init, lam=LAMBDA)


def per_learner(df, learner):
    return timeless(df[df.learner == learner].drop(columns="learner"))


def test_python_l1_init_equals_the_builtin_round_by_round(tmp_path, fashion_mnist):
    df = beside_builtin("online", tmp_path / "online").run(progress=False, quiet=True).frame()
    ours, theirs, warm = per_learner(df, "py-l1"), per_learner(df, BUILTIN), per_learner(df, "warm")
    assert len(ours) == len(theirs) > 0
    assert ours.equals(theirs)
    assert not ours.value.equals(warm.value)  # the penalty acts: the comparison can tell


def test_python_l1_init_equals_the_builtin_weights(tmp_path, fashion_mnist):
    out = tmp_path / "batch"
    df = beside_builtin("batch", out, save=out / "models").run(progress=False, quiet=True).frame()
    assert per_learner(df, "py-l1").equals(per_learner(df, BUILTIN))
    for seed in (1, 2):
        ours = warmstart.load_checkpoint(out / "models" / f"seed{seed}-py-l1.safetensors")
        theirs = warmstart.load_checkpoint(out / "models" / f"seed{seed}-{BUILTIN.replace(':', '_')}.safetensors")
        warm = warmstart.load_checkpoint(out / "models" / f"seed{seed}-warm.safetensors")
        assert list(ours) == list(theirs) and "ln1.weight" in ours
        for name in ours:
            np.testing.assert_array_equal(ours[name], theirs[name])
        assert any(not np.array_equal(ours[n], warm[n]) for n in ours)


class StopsMidChain(L1Init):
    """Ctrl-C to itself at the end of seed 1's second round: the run stops after that round."""

    def end(self, step):
        if step.seed == 1 and step.round == 1:
            os.kill(os.getpid(), signal.SIGINT)


def stopped_then_resumed(tmp_path, name, remedy, resumed_with):
    out = tmp_path / name
    with pytest.raises(KeyboardInterrupt):
        warmstart.Experiment("online", out=out, learners=["warm"], **ONLINE).add_remedy(
            "py-l1", remedy, lam=LAMBDA).run(progress=False, quiet=True)
    return warmstart.Experiment("online", out=out, learners=["warm"], **ONLINE).add_remedy(
        "py-l1", resumed_with, lam=LAMBDA).run(progress=False, quiet=True, resume=True).frame()


def test_a_python_remedy_resumes_bit_for_bit(tmp_path, fashion_mnist):
    whole = warmstart.Experiment("online", out=tmp_path / "whole", learners=["warm"], **ONLINE).add_remedy(
        "py-l1", L1Init, lam=LAMBDA).run(progress=False, quiet=True).frame()
    assert_same_results(whole, stopped_then_resumed(tmp_path, "parts", StopsMidChain, L1Init))


class Stateless(L1Init):
    def state(self):
        return {}


class StatelessStops(Stateless, StopsMidChain):
    pass


def test_without_its_state_a_resumed_remedy_differs(tmp_path, fashion_mnist):
    """The negative control: theta0 left out of the checkpoint, the resumed chain has no theta0."""
    whole = warmstart.Experiment("online", out=tmp_path / "whole", learners=["warm"], **ONLINE).add_remedy(
        "py-l1", Stateless, lam=LAMBDA).run(progress=False, quiet=True).frame()
    assert not timeless(whole).equals(timeless(stopped_then_resumed(tmp_path, "parts", StatelessStops, Stateless)))


class Looks(warmstart.Remedy):
    """Records what its hooks see."""

    seen: list = []

    def __init__(self, step, tag="x"):
        super().__init__(step, tag=tag)
        self.counter = np.zeros(1, np.float32)
        Looks.seen.append(("create", step.round, list(step.params)))

    def state(self):
        return {"counter": self.counter}

    def begin(self, step):
        p = step.params["lm1.weight"]
        assert p.shape == (16, 784) and p.data.dtype == np.float32
        assert np.shares_memory(p.data, step.weights)
        assert step.weights[p.offset] == p.data.flat[0]
        if step.round > 0:
            assert p.fresh is not None and not p.fresh.flags.writeable
        Looks.seen.append(("begin", step.round, p.fresh is not None))

    def after_update(self, step):
        self.counter += 1
        p = step.params["lm2.bias"]
        assert step.batch > 0 and p.grad is not None and p.moment1 is not None and p.moment2 is not None  # Adam
        assert step.params is step.params  # cached while nothing moved
        if step.step == 1:
            step.draw_fresh(step.step)
            assert step.params["lm2.bias"].fresh is not None
            (h,) = step.hidden  # the MLP's one hidden layer: lm1's rows, read by lm2's columns
            assert (h.in_weight.name, h.in_bias.name, h.out_weight.name) == ("lm1.weight", "lm1.bias", "lm2.weight")
            assert (h.units, h.positions, h.out_span) == (16, 1, 1)
            assert h.activation.shape == (step.batch, 16, 1) and (h.activation >= 0).all()  # after the ReLU
            assert not h.activation.flags.writeable and step.hidden is step.hidden
            Looks.seen.append(("hidden", step.round, float((h.activation > 0).mean())))

    def end(self, step):
        step.params["lm2.bias"].data[:] = 0  # a write through the view reaches the model
        Looks.seen.append(("end", step.round, float(self.counter[0])))


def test_the_hooks_see_views_of_the_arenas(tmp_path, fashion_mnist):
    Looks.seen = []
    e = warmstart.Experiment("online", out=tmp_path / "looks", learners=["warm"], **dict(ONLINE, seeds=1))
    df = e.add_remedy("looks", Looks, tag="y").run(progress=False, quiet=True).frame()
    kinds = [s[0] for s in Looks.seen]
    assert kinds[0] == "create" and Looks.seen[0][2] == ["lm1.weight", "lm1.bias", "lm2.weight", "lm2.bias"]
    assert kinds.count("begin") == kinds.count("end") == 4 and kinds.count("hidden") == 1
    assert 0 < [s[2] for s in Looks.seen if s[0] == "hidden"][0] < 1  # some units active, not all
    assert [s[2] for s in Looks.seen if s[0] == "begin"] == [False, True, True, True]
    ends = [s[2] for s in Looks.seen if s[0] == "end"]
    assert ends == sorted(ends) and ends[0] > 0
    looks, warm = df[df.learner == "looks"], df[df.learner == "warm"]
    assert not timeless(looks.drop(columns="learner")).equals(timeless(warm.drop(columns="learner")))
    config = (tmp_path / "looks" / "config.json").read_text()
    assert '"tag"' in config and '"y"' in config  # the record


class Fails(warmstart.Remedy):
    def begin(self, step):
        if step.round == 1:
            raise ValueError("begin went wrong")


class BadState(warmstart.Remedy):
    def state(self):
        return {"theta": np.zeros(3)}  # float64: cannot be filled in place as float32


def test_an_exception_in_a_hook_is_raised_from_run(tmp_path, fashion_mnist):
    with pytest.raises(ValueError, match="begin went wrong") as info:
        warmstart.Experiment("online", out=tmp_path / "fails", learners=["warm"], **ONLINE).add_remedy(
            "fails", Fails).run(progress=False, quiet=True)
    notes = "".join(getattr(info.value, "__notes__", []))
    assert "fails" in notes and "begin" in notes
    with pytest.raises(TypeError, match="float32"):
        warmstart.Experiment("online", out=tmp_path / "bad", learners=["warm"], **ONLINE).add_remedy(
            "bad", BadState).run(progress=False, quiet=True)
    with pytest.raises(TypeError, match="unexpected"):
        warmstart.Experiment("online", out=tmp_path / "args", learners=["warm"], **ONLINE).add_remedy(
            "args", L1Init, lamda=1).run(progress=False, quiet=True)
    with pytest.raises(warmstart.Error, match="warm"):
        warmstart.Experiment("online", learners=["warm"]).add_remedy("warm", L1Init).check()
