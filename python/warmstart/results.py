"""Reading what a run wrote: results in long form, the claims, the report and checkpoints."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Union

import numpy as np
import pandas as pd

from ._context import Context, Error
from ._native import ffi, lib, text

PathLike = Union[str, "os.PathLike[str]"]

#: The long form's columns (warmstart_row's fields).
RESULT_COLUMNS = ["point", "learner", "seed", "stage", "measure", "value", "stop"]

#: The claims table's first columns (claims.json's items; the rest follow as the file has them).
CLAIM_COLUMNS = ["id", "text", "kind", "learners", "measure", "where", "n", "mean_difference",
                 "half_width_95", "verdict", "adjusted_verdict", "p", "p_adjusted"]

# safetensors' dtypes as NumPy's (little-endian, as the format stores them); BF16 is widened.
_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
           "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}


def results(path: PathLike) -> pd.DataFrame:
    """A results folder (or results file) in long form, one row per value the records hold.

    Columns: ``point`` (a sweep's point, "lr=0.01 batch=32"; "" outside a sweep), ``learner``,
    ``seed``, ``stage`` (the round online and active, the task in a sequence, the share in
    transfer; else 0), ``measure`` ("test_acc", "steps", "dormant_0.1", ...), ``value`` and
    ``stop`` (why the run stopped: "threshold", "epochs", "plateau", "cap" or "steps").
    ``df.attrs["scenario"]`` is the scenario ("batch", "online", "continual" or "transfer").
    """
    ctx = Context()
    out = ffi.new("warmstart_results **")
    ctx.check(lib.warmstart_results_open(ctx.ptr, os.fsencode(path), out))
    r = out[0]
    try:
        n = lib.warmstart_results_nrows(r)
        row = ffi.new("warmstart_row *")
        strings: dict[int, str] = {}  # the same learner, measure, ... pointers recur: read each once

        def s(p) -> str:
            key = int(ffi.cast("uintptr_t", p))
            got = strings.get(key)
            if got is None:
                got = strings[key] = text(p)
            return got

        cols: dict[str, list] = {c: [] for c in RESULT_COLUMNS}
        for i in range(n):
            ctx.check(lib.warmstart_results_row(r, i, row))
            cols["point"].append(s(row.point))
            cols["learner"].append(s(row.learner))
            cols["seed"].append(row.seed)
            cols["stage"].append(row.stage)
            cols["measure"].append(s(row.measure))
            cols["value"].append(row.value)
            cols["stop"].append(s(row.stop))
        scenario = text(lib.warmstart_results_scenario(r))
    finally:
        lib.warmstart_results_free(r)
    df = pd.DataFrame(cols)
    df = df.astype({"seed": "int64", "stage": "int64", "value": "float64"})
    df.attrs["scenario"] = scenario
    return df


def report(path: PathLike) -> Path:
    """Write report.md and report.html of a results folder, its declared claims tested.

    Returns the path of report.html. Where the folder's runs declared claims (an experiment
    file's ``[claim ID]`` sections) they are written as data to ``claims.json`` beside it.
    """
    ctx = Context()
    n = ffi.new("int *")
    ctx.check(lib.warmstart_report(ctx.ptr, os.fsencode(path), n))
    return Path(path) / "report.html"


def _claims_file(folder: Path) -> Path | None:
    # `warmstart report DIR` writes DIR/claims.json; `warmstart reproduce` DIR/report/claims.json.
    for candidate in (folder / "claims.json", folder / "report" / "claims.json"):
        if candidate.is_file():
            return candidate
    return None


def claims(path: PathLike, *, write_report: bool = True) -> pd.DataFrame:
    """The claims table of a results folder: one row per declared claim, with its verdict.

    The claims are those the folder's runs declared (an experiment file's ``[claim ID]``
    sections, kept in its run.json); the library's report tests them and writes them as data
    to ``claims.json`` beside the page (docs/EXPERIMENT-FILES.md), which this reads. The report
    is written first (:func:`report`) unless ``write_report`` is False (then the claims.json
    already there is read: ``DIR/claims.json``, or ``DIR/report/claims.json`` of a
    ``warmstart reproduce`` folder).

    Columns as in claims.json: ``id``, ``text``, ``kind``, ``learners`` (a list),
    ``measure``, ``where``, ``n``, ``mean_difference``, ``half_width_95``, ``verdict``,
    ``adjusted_verdict`` (after Holm's adjustment over the family), ``p``, ``p_adjusted``, then
    the rest (``paper``, ``source``, ``seeds_for_80_power``, ...). ``df.attrs`` holds the
    family's size, its adjustment and the count of "yes" expected by chance. A folder whose runs
    declared no claims gives an empty table with these columns.
    """
    folder = Path(path)
    started = time.time()
    if write_report:
        report(folder)
    found = _claims_file(folder)
    if found is not None and write_report and found.stat().st_mtime < started - 1:
        found = None  # an earlier report's: this one found no claims to write
    if found is None:
        return pd.DataFrame(columns=CLAIM_COLUMNS)
    data = json.loads(found.read_text(encoding="utf-8"))
    items = data.get("items", [])
    if not items:
        df = pd.DataFrame(columns=CLAIM_COLUMNS)
    else:
        df = pd.DataFrame(items)
        first = [c for c in CLAIM_COLUMNS if c in df.columns]
        df = df[first + [c for c in df.columns if c not in first]]
    df.attrs.update({k: v for k, v in data.items() if k != "items"})
    return df


def load_checkpoint(path: PathLike) -> dict[str, np.ndarray]:
    """A checkpoint (a safetensors file warmstart wrote) as a dict of NumPy arrays.

    Keys are the tensors' names in file order -- a model's are PyTorch's ("lm1.weight",
    "layer1.0.bn1.running_mean"), so
    ``module.load_state_dict({k: torch.from_numpy(v) for k, v in d.items()})`` loads it.
    The arrays are copies (the file is closed on return), in the stored dtype and shape
    (BF16 widened to float32).
    """
    ctx = Context()
    out = ffi.new("warmstart_checkpoint **")
    ctx.check(lib.warmstart_checkpoint_open(ctx.ptr, os.fsencode(path), out))
    k = out[0]
    tensors: dict[str, np.ndarray] = {}
    try:
        t = ffi.new("warmstart_tensor *")
        for i in range(lib.warmstart_checkpoint_ntensors(k)):
            ctx.check(lib.warmstart_checkpoint_tensor(k, i, t))
            name, dtype = text(t.name), text(t.dtype)
            shape = tuple(t.dims[d] for d in range(t.ndim))
            raw = ffi.buffer(t.data, t.nbytes) if t.nbytes else b""
            if dtype == "BF16":  # the upper half of a float32
                bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
                array = bits.view(np.float32)
            elif dtype in _DTYPES:
                array = np.frombuffer(raw, dtype=_DTYPES[dtype]).astype(np.dtype(_DTYPES[dtype]).newbyteorder("="))
            else:
                raise Error(lib.WARMSTART_ERR_FORMAT, f"{path}: tensor '{name}' has dtype {dtype}, which NumPy cannot hold")
            tensors[name] = array.reshape(shape)
    finally:
        lib.warmstart_checkpoint_free(k)
    return tensors
