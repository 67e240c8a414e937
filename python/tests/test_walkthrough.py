"""examples/python/walkthrough.py run as a script at its tiny scale: the two-phase experiment, the
figure, the Python remedy beside warm and random, the claims."""
import os
import subprocess
import sys
from pathlib import Path

import warmstart

REPO = Path(__file__).resolve().parents[2]


def test_the_walkthrough_runs(tmp_path, fashion_mnist):
    out = tmp_path / "walk"
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"), MPLBACKEND="Agg")
    run = subprocess.run([sys.executable, str(REPO / "examples" / "python" / "walkthrough.py"), "tiny", str(out)],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (out / "warm-vs-random.png").stat().st_size > 1000
    df = warmstart.results(out / "run")
    assert {"warm", "random", "py-shrink-perturb"} <= set(df.learner)
    claims = warmstart.claims(out / "run", write_report=False)
    assert list(claims.id) == ["gap", "fewer-steps", "remedy"]
    for claim in claims.id:
        assert claim in run.stdout
