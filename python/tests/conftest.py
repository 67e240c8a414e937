"""Shared by the package's tests: tiny experiments (seconds each) and what compares their results.

Run from the repository root: /usr/bin/python3 -m pytest -q python/tests (tests/run.sh's
python stage sets WARMSTART_LIB to the build's library; without it the source tree's
build/libwarmstart.so is used)."""
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the package of this checkout
if os.environ.get("WARMSTART_LIB"):  # absolute, for the tests' subprocesses in other folders
    os.environ["WARMSTART_LIB"] = os.path.abspath(os.environ["WARMSTART_LIB"])

import warmstart  # noqa: E402

#: A run of a few seconds: a tiny MLP on 600 Fashion-MNIST examples, two seeds. One thread:
#: on models this small a second one only waits, and the suite shares its cores.
TINY = dict(data="fashion-mnist", subset=600, eval_subset=200, hidden=[16], max_epochs=2, seeds=2, probe=0,
            threads=1)
#: The online scenario's rounds on top: 300 examples, then 100 more a round (4 rounds).
ONLINE = dict(TINY, k0=300, k=100)


def timeless(df: pd.DataFrame) -> pd.DataFrame:
    """The results without wall-clock measures (seconds), which no two runs share."""
    return df[~df.measure.str.contains("seconds")].reset_index(drop=True)


def assert_same_results(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a, b = timeless(a), timeless(b)
    assert len(a) > 0
    pd.testing.assert_frame_equal(a, b, check_exact=True)


@pytest.fixture(scope="session")
def fashion_mnist(tmp_path_factory):
    """Skip a test that runs an experiment where Fashion-MNIST is not installed
    (apt-get install dataset-fashion-mnist; make deps): a one-epoch run tells."""
    out = tmp_path_factory.mktemp("data-check")
    try:
        warmstart.Experiment("batch", out=out, **dict(TINY, seeds=1, max_epochs=1, subset=100)).run(
            progress=False, quiet=True)
    except warmstart.Error as exc:
        if "fashion" in str(exc).lower():
            pytest.skip(f"Fashion-MNIST is not installed: {exc}")
        raise
