"""Ctrl-C: a run stopped after some units (by a real SIGINT, or an exception in a hook, which
stops it the same way) raises, leaves its folder resumable, and resumed equals a run never
stopped."""
import os
import signal

import pytest

import warmstart
from conftest import ONLINE, TINY, assert_same_results

LEARNERS = ["warm", "random"]


def experiment(scenario, out):
    options = ONLINE if scenario == "online" else TINY
    return warmstart.Experiment(scenario, out=out, learners=LEARNERS, **options)


def sigint_at(n):
    def progress(done, total, unit):
        if done == n:
            os.kill(os.getpid(), signal.SIGINT)
    return progress


@pytest.mark.parametrize("scenario", ["online", "batch"])
def test_sigint_stops_and_resume_finishes(tmp_path, scenario, fashion_mnist):
    whole = experiment(scenario, tmp_path / "whole").run(progress=False, quiet=True)
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt, match="resum"):
        experiment(scenario, tmp_path / "parts").run(progress=sigint_at(2), quiet=True)
    assert signal.getsignal(signal.SIGINT) is before  # the handler only for the run's duration
    assert (tmp_path / "parts" / "units" / "records.jsonl").is_file()
    with pytest.raises(warmstart.Error):  # stopped: no results yet
        warmstart.results(tmp_path / "parts")
    seen = []
    resumed = experiment(scenario, tmp_path / "parts").run(progress=lambda *a: seen.append(a), quiet=True,
                                                          resume=True)
    assert resumed.complete
    # the finished units counted, not run again (a batch seed's group may finish before it stops)
    done, total, unit = seen[0]
    assert unit == "" and done >= 2 and len(seen) == 1 + total - done and seen[-1][:2] == (total, total)
    assert_same_results(whole.frame(), resumed.frame())


def test_an_exception_in_progress_stops_like_ctrl_c(tmp_path, fashion_mnist):
    class Enough(Exception):
        pass

    def stop_at_1(done, total, unit):
        if done == 1:
            raise Enough(unit)

    whole = experiment("online", tmp_path / "whole").run(progress=False, quiet=True)
    with pytest.raises(Enough, match="s1/warm"):
        experiment("online", tmp_path / "parts").run(progress=stop_at_1, quiet=True)
    resumed = experiment("online", tmp_path / "parts").run(progress=False, quiet=True, resume=True)
    assert_same_results(whole.frame(), resumed.frame())


def test_sigint_under_jobs(tmp_path, fashion_mnist):
    """Two seeds at once (jobs=2, a thread each): the calling thread runs one of them, so Python's
    handler runs between its units and the run stops; resumed, it equals the serial one-thread
    run (each unit on one thread either way)."""
    opts = dict(ONLINE, seeds=4)
    whole = warmstart.Experiment("online", out=tmp_path / "whole", learners=LEARNERS, **opts).run(progress=False,
                                                                                                  quiet=True)
    jobs = dict(opts, threads=2, jobs=2)
    with pytest.raises(KeyboardInterrupt):
        warmstart.Experiment("online", out=tmp_path / "parts", learners=LEARNERS, **jobs).run(progress=sigint_at(1),
                                                                                             quiet=True)
    resumed = warmstart.Experiment("online", out=tmp_path / "parts", learners=LEARNERS, **jobs).run(
        progress=False, quiet=True, resume=True)
    assert resumed.complete
    assert_same_results(whole.frame(), resumed.frame())
