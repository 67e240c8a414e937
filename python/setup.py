"""setup.py beside pyproject.toml for one thing pyproject cannot say: the build copies the stable
header (../include/warmstart.h, whose declarations the binding reads as its cdef) into the
package, so that an installed package carries the header it was built against. The version is
the library's (src/core/version.h)."""
import re
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SOURCE_HEADER = HERE.parent / "include" / "warmstart.h"
SDIST_HEADER = HERE / "warmstart" / "warmstart.h"  # an sdist made by this setup.py carries it here
VERSION_H = HERE.parent / "src" / "core" / "version.h"


def header() -> Path:
    for path in (SOURCE_HEADER, SDIST_HEADER):
        if path.is_file():
            return path
    raise SystemExit(f"warmstart: no warmstart.h to package (tried {SOURCE_HEADER} and {SDIST_HEADER})")


def version() -> str:
    if VERSION_H.is_file():
        m = re.search(r'^\s*#\s*define\s+WARMSTART_VERSION\s+"([^"]+)"', VERSION_H.read_text(), re.M)
        if m:
            return m.group(1)
    m = re.search(r"^Version:\s*(\S+)", (HERE / "PKG-INFO").read_text(), re.M) if (HERE / "PKG-INFO").is_file() else None
    return m.group(1) if m else "0.0.0"


class BuildWithHeader(build_py):
    """build_py, then warmstart.h into the built package."""

    def run(self):
        super().run()
        target = Path(self.build_lib) / "warmstart" / "warmstart.h"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(header(), target)


setup(version=version(), cmdclass={"build_py": BuildWithHeader})
