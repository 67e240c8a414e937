"""The binding: cffi in ABI mode over libwarmstart.so, its declarations read from warmstart.h.

The cdef is the stable header itself (include/warmstart.h) with what cffi's parser does not
take removed -- preprocessor lines, the ``extern "C"`` block of C++ and the WARMSTART_API
macro -- so the binding cannot drift from the API it binds. A pip install carries a copy of the
header inside the package (setup.py puts it there); in the source tree the package reads
``../include/warmstart.h`` directly.

The library is found in this order: the environment's WARMSTART_LIB (a path; when set, the
only one tried, so that a test or a user who names one never gets another), the source tree's
``build/libwarmstart.so`` (when the package is the checkout's python/warmstart), then the
loader's ``libwarmstart.so.N`` (N: the header's WARMSTART_API_VERSION, the soname's major
number: an incompatible library is never picked up).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from cffi import FFI

PACKAGE_DIR = Path(__file__).resolve().parent
#: The header inside an installed package (setup.py copies it there).
PACKAGED_HEADER = PACKAGE_DIR / "warmstart.h"
#: The header of the source tree this package sits in (python/warmstart/ -> include/).
SOURCE_HEADER = PACKAGE_DIR.parents[1] / "include" / "warmstart.h"
#: The shared library of the source tree's default build.
SOURCE_LIBRARY = PACKAGE_DIR.parents[1] / "build" / "libwarmstart.so"


def header_path() -> Path:
    """The warmstart.h the binding reads: the packaged copy, else the source tree's."""
    for path in (PACKAGED_HEADER, SOURCE_HEADER):
        if path.is_file():
            return path
    raise ImportError(f"warmstart: no warmstart.h found (tried {PACKAGED_HEADER} and {SOURCE_HEADER})")


def cdef_of(header: str) -> str:
    """The header's text as cffi's cdef takes it.

    Dropped: every preprocessor line, the blocks under ``#ifdef __cplusplus`` (the ``extern "C"``
    braces) and the WARMSTART_API marker. Comments, typedefs, enums with values and the function
    declarations stay as they are.
    """
    kept, skipping = [], 0
    for line in header.splitlines():
        directive = line.strip()
        if skipping:
            # Nested conditionals inside a C++-only block would need counting; the header has none.
            skipping = 0 if directive.startswith("#endif") else skipping
            continue
        if directive.startswith("#ifdef __cplusplus"):
            skipping = 1
            continue
        if directive.startswith("#"):
            continue
        kept.append(re.sub(r"\bWARMSTART_API\b", "", line))
    return "\n".join(kept)


def api_version(header: str) -> int:
    """WARMSTART_API_VERSION as the header defines it (the soname's major number)."""
    m = re.search(r"^\s*#\s*define\s+WARMSTART_API_VERSION\s+(\d+)", header, re.M)
    if not m:
        raise ImportError("warmstart: warmstart.h defines no WARMSTART_API_VERSION")
    return int(m.group(1))


def library_candidates(version: int) -> list[str]:
    """Where the shared library is looked for, in order."""
    env = os.environ.get("WARMSTART_LIB")
    if env:
        return [env]
    in_source_tree = SOURCE_HEADER.is_file()  # python/warmstart/ of a checkout, not an installed copy
    return ([str(SOURCE_LIBRARY)] if in_source_tree else []) + [f"libwarmstart.so.{version}"]


def _load(ffi: FFI, version: int):
    tried = []
    for candidate in library_candidates(version):
        if "/" in candidate and not Path(candidate).exists():
            tried.append(f"{candidate} (no such file)")
            continue
        try:
            return ffi.dlopen(candidate)
        except OSError as exc:
            tried.append(f"{candidate} ({exc})")
    raise ImportError(
        "warmstart: libwarmstart could not be loaded; tried " + "; ".join(tried) +
        ". Build it (make build/libwarmstart.so), install it (make install), or set WARMSTART_LIB "
        "to its path.")


HEADER = header_path()
_TEXT = HEADER.read_text(encoding="utf-8")
API_VERSION = api_version(_TEXT)
ffi = FFI()
ffi.cdef(cdef_of(_TEXT))
lib = _load(ffi, API_VERSION)
del _TEXT


def text(p) -> str:
    """A C string as str ("" for NULL)."""
    return ffi.string(p).decode("utf-8", "replace") if p != ffi.NULL else ""
