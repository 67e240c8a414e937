"""pip install of python/ offline (Debian's packages, no build isolation, nothing downloaded) into a
scratch folder, and the package imported from there: its own copy of warmstart.h, this tree's."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def copy_of_what_the_install_reads(to: Path) -> Path:
    """python/, the header and the version: what pip's in-tree build reads, copied so that the
    test leaves nothing in the checkout (build/, *.egg-info) and runs beside another."""
    shutil.copytree(REPO / "python", to / "python", ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", ".pytest_cache", "tests", "warmstart.h"))
    for path in ("include/warmstart.h", "src/core/version.h"):
        (to / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / path, to / path)
    return to / "python"


def test_pip_install_and_import(tmp_path):
    target = tmp_path / "site"
    source = copy_of_what_the_install_reads(tmp_path / "src")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps",
                          "--no-index", "--disable-pip-version-check", "--target", str(target), str(source)],
                         capture_output=True, text=True, env=dict(os.environ, PIP_NO_CACHE_DIR="1"))
    assert pip.returncode == 0, pip.stdout + pip.stderr
    packaged = target / "warmstart" / "warmstart.h"
    assert packaged.read_bytes() == (REPO / "include" / "warmstart.h").read_bytes()
    assert (target / "warmstart" / "py.typed").is_file()
    lib = os.environ.get("WARMSTART_LIB", str(REPO / "build" / "libwarmstart.so"))
    code = "import warmstart; print(warmstart.HEADER); print(warmstart.version()); print(warmstart.__file__)"
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(target), WARMSTART_LIB=lib))
    assert run.returncode == 0, run.stderr
    header, version, where = run.stdout.split()
    assert Path(header) == packaged and Path(where).parent == target / "warmstart"
    assert version.count(".") == 2
    assert list(target.glob("warmstart-*.dist-info")) == [target / f"warmstart-{version}.dist-info"]
