"""The binding itself: its cdef is the stable header, the packaged header is the source's, the
library is found where documented and a missing one is named."""
import os
import subprocess
import sys
from pathlib import Path

import warmstart
from warmstart import _native

REPO = Path(__file__).resolve().parents[2]


def test_cdef_is_the_header_without_what_cffi_cannot_parse():
    header = (REPO / "include" / "warmstart.h").read_text()
    cdef = _native.cdef_of(header)
    assert "#" not in "".join(line.split("//")[0] for line in cdef.splitlines())
    assert 'extern "C"' not in cdef
    assert "WARMSTART_API " not in cdef and "WARMSTART_API\n" not in cdef
    # every function the header declares is bound
    for line in header.splitlines():
        if line.startswith("WARMSTART_API ") and "(" in line:
            name = line.split("(")[0].split()[-1].lstrip("*")
            assert name in cdef and hasattr(_native.lib, name), name
    assert _native.api_version(header) == warmstart.API_VERSION


def test_the_source_header_is_read_in_the_source_tree():
    assert _native.SOURCE_HEADER == REPO / "include" / "warmstart.h"
    packaged = _native.PACKAGED_HEADER
    assert warmstart.HEADER in (packaged, _native.SOURCE_HEADER)
    if packaged.is_file():  # a copy left by a build must be the header of this tree
        assert packaged.read_bytes() == _native.SOURCE_HEADER.read_bytes()


def test_version_and_statuses():
    assert warmstart.version() == warmstart.__version__
    assert warmstart.version().count(".") == 2
    assert _native.lib.WARMSTART_INTERRUPTED == 6


def test_library_order(monkeypatch):
    monkeypatch.delenv("WARMSTART_LIB", raising=False)
    assert _native.library_candidates(1) == [str(_native.SOURCE_LIBRARY), "libwarmstart.so.1"]
    monkeypatch.setenv("WARMSTART_LIB", "/x/libwarmstart.so")
    assert _native.library_candidates(1) == ["/x/libwarmstart.so"]


def test_a_missing_library_is_named():
    env = dict(os.environ, WARMSTART_LIB="/nonexistent/libwarmstart.so")
    run = subprocess.run([sys.executable, "-c", "import warmstart"], cwd=REPO / "python", env=env,
                         capture_output=True, text=True)
    assert run.returncode != 0
    assert "ImportError" in run.stderr and "/nonexistent/libwarmstart.so" in run.stderr
    assert "WARMSTART_LIB" in run.stderr
