"""Experiments from Python: options as keywords (a bad one raising, named), files, axes, a run read
back as a DataFrame, progress, shards and merge, the report and the claims."""
import logging

import pandas as pd
import pytest

import warmstart
from conftest import ONLINE, TINY, assert_same_results
from warmstart.experiment import option_name, option_text


def test_keywords_become_the_cli_options():
    assert option_name("max_epochs") == "max-epochs"
    assert option_text(True) == "true" and option_text(False) == "false"
    assert option_text(["warm", "random", "redo:tau=0.1"]) == "warm,random,redo:tau=0.1"
    assert option_text((100, 100)) == "100,100"
    assert option_text(1e-3) == "0.001" and option_text(40) == "40"
    with pytest.raises(TypeError):
        option_text({"a": 1})


@pytest.mark.parametrize("options, named", [
    (dict(subsett=100), "subsett"),
    (dict(max_epochs="many"), "max-epochs"),
    (dict(lr=-1.0), "lr"),
    (dict(augment="maybe"), "augment"),
    (dict(seeds=1.5), "seeds"),
])
def test_a_bad_option_raises_naming_it(options, named):
    with pytest.raises(warmstart.Error) as info:
        warmstart.Experiment("batch", **options)
    assert named in str(info.value)
    assert info.value.status == warmstart.lib.WARMSTART_ERR_ARG and info.value.status_name == "ERR_ARG"


def test_what_only_the_whole_tells_is_refused_by_check():
    e = warmstart.Experiment("online", learners=["warm", "wrong"])
    with pytest.raises(warmstart.Error, match="wrong"):
        e.check()
    with pytest.raises(warmstart.Error, match="sideways"):
        warmstart.Experiment("sideways")
    with pytest.raises(warmstart.Error, match="/nonexistent/exp.ini"):
        warmstart.Experiment.load("/nonexistent/exp.ini")


def test_set_flags_out_and_defaults(tmp_path):
    e = warmstart.Experiment("online")
    assert e.out.as_posix() == "results/online"
    assert e.set("augment", True) is e and e.set("augment", False) is e
    e.set("out", tmp_path / "x")
    assert e.out == tmp_path / "x"
    e.close()
    with pytest.raises(ValueError, match="closed"):
        e.check()


def test_a_file_with_a_grid_and_an_axis(tmp_path, fashion_mnist):
    f = tmp_path / "grid.ini"
    f.write_text("scenario = batch\n[options]\nprobe = 0\n[grid]\nlr = 0.001,0.01\n")
    e = warmstart.Experiment.load(f, **dict(TINY, seeds=1))
    assert e.out.as_posix() == "results/grid"  # results/STEM for a file
    e.set("out", tmp_path / "sweep")
    e.add_axis("batch", [64, 128])
    with pytest.raises(warmstart.Error, match="resume"):
        e.add_axis("resume=on,off")
    df = e.run(progress=False, quiet=True).frame()
    assert df.point.nunique() == 4
    assert set(df.point) >= {"lr=0.001 batch=64", "lr=0.01 batch=128"}


def test_a_run_read_back_in_long_form(tmp_path, fashion_mnist):
    calls, notes = [], []
    log = logging.getLogger("warmstart-test")
    log.addHandler(logging.NullHandler())
    log.info = lambda fmt, message: notes.append(message)  # what run() sends the logger
    e = warmstart.Experiment("online", out=tmp_path / "run", learners=["warm", "random"], **ONLINE)
    run = e.run(progress=lambda done, total, unit: calls.append((done, total, unit)), log=log)
    assert run.complete and run.path == tmp_path / "run"
    assert calls == [(0, 4, ""), (1, 4, "s1/warm"), (2, 4, "s1/random"), (3, 4, "s2/warm"), (4, 4, "s2/random")]
    assert any("fashion-mnist" in n for n in notes)
    df = warmstart.results(run.path)
    assert list(df.columns) == ["point", "learner", "seed", "stage", "measure", "value", "stop"]
    assert df.attrs["scenario"] == "online"
    assert set(df.learner) == {"warm", "random"} and set(df.seed) == {1, 2} and set(df.stage) == {0, 1, 2, 3}
    acc = df[df.measure == "test_acc"]
    assert len(acc) == 2 * 2 * 4 and acc.value.between(0, 1).all()
    assert set(df.stop) <= {"threshold", "epochs", "plateau", "cap", "steps"}
    assert (df.point == "").all()
    assert_same_results(df, run.frame())
    # a progress bar and notes on stderr, quiet
    e.run(progress=True, quiet=True)


def test_shards_then_merge_equal_one_run(tmp_path, fashion_mnist):
    options = dict(ONLINE, learners=["warm", "random"])
    whole = warmstart.Experiment("online", out=tmp_path / "whole", **options).run(progress=False, quiet=True)
    parts = tmp_path / "parts"
    first = warmstart.Experiment("online", out=parts, **options)
    assert not first.run(progress=False, quiet=True, shard=(1, 2)).complete
    with pytest.raises(ValueError, match="shard"):
        first.run(progress=False)
    assert not warmstart.Experiment("online", out=parts, **options).run(
        progress=False, quiet=True, shard="2/2", resume=True).complete
    with pytest.raises(warmstart.Error, match="shard"):
        warmstart.Experiment("online", out=parts, **options).run(progress=False, shard=(3, 2))
    merged = warmstart.merge(parts)
    assert merged.complete
    assert_same_results(whole.frame(), merged.frame())
    with pytest.raises(warmstart.Error, match="nonexistent"):
        warmstart.merge(["/nonexistent/a"])


def test_report_and_claims(tmp_path, fashion_mnist):
    f = tmp_path / "gap.ini"
    f.write_text("scenario = batch\n[options]\nprobe = 0\n\n[claim gap]\nsays = warm is worse\npaper = Ash & Adams\n"
                 "compare = random - warm\nmeasure = test-acc\nsesoi = 1\nsesoi-why = a point\n")
    run = warmstart.Experiment.load(f, out=tmp_path / "gap", **dict(TINY, seeds=3)).run(progress=False, quiet=True)
    page = warmstart.report(run.path)
    assert page == run.path / "report.html" and page.is_file() and (run.path / "report.md").is_file()
    c = warmstart.claims(run.path)
    assert list(c.id) == ["gap"] and c.loc[0, "learners"] == ["random", "warm"] and c.loc[0, "n"] == 3
    assert {"verdict", "adjusted_verdict", "mean_difference", "half_width_95", "p"} <= set(c.columns)
    assert c.attrs["claims"] == 1
    acc = run.frame().query("measure == 'test_acc'").pivot(index="seed", columns="learner", values="value")
    assert c.loc[0, "mean_difference"] == pytest.approx(100 * (acc.random - acc.warm).mean())
    # a folder without claims: an empty table with the columns
    plain = warmstart.Experiment("batch", out=tmp_path / "plain", **TINY).run(progress=False, quiet=True)
    empty = warmstart.claims(plain.path)
    assert empty.empty and "verdict" in empty.columns
    with pytest.raises(warmstart.Error, match="nonexistent"):
        warmstart.report(tmp_path / "nonexistent")
    with pytest.raises(warmstart.Error, match="nonexistent"):
        warmstart.results(tmp_path / "nonexistent")
