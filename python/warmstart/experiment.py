"""Experiments: made from keyword options or an experiment file, checked, run with a progress bar,
interruptible with Ctrl-C, resumable and shardable like the CLI."""
from __future__ import annotations

import logging
import numbers
import os
import signal
import sys
import threading
import weakref
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence, Union

import pandas as pd

from ._context import Context, Error
from ._native import ffi, lib, text
from .remedy import _Binding
from .results import claims, report, results

PathLike = Union[str, "os.PathLike[str]"]
ProgressFn = Callable[[int, int, str], None]

#: Where a scenario writes when no ``out`` is given: the CLI's defaults (exp/options.c).
DEFAULT_OUT = {"batch": "results", "online": "results/online", "active": "results/active",
               "transfer": "results/transfer", "continual": "results/continual"}


def option_name(key: str) -> str:
    """A keyword as the CLI's option name: underscores become dashes (max_epochs -> max-epochs)."""
    return key.replace("_", "-")


def option_text(value: Any) -> str:
    """A Python value as the option's text: booleans "true"/"false" (a flag's values), lists and
    tuples joined with commas, paths as paths, numbers as their shortest exact text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, (list, tuple)):
        return ",".join(option_text(v) for v in value)
    raise TypeError(f"an option's value must be a string, number, boolean, path or list of them, not {type(value).__name__}")


class Results:
    """What a run gives back: its folder (``path``; a Results is also an ``os.PathLike``) and
    whether every unit has finished (``complete``: a shard's run may not have)."""

    def __init__(self, path: PathLike, complete: bool):
        self.path = Path(path)
        self.complete = complete

    def __fspath__(self) -> str:
        return str(self.path)

    def frame(self) -> pd.DataFrame:
        """The results in long form (:func:`warmstart.results`)."""
        return results(self.path)

    def claims(self) -> pd.DataFrame:
        """The claims table, the report written first (:func:`warmstart.claims`)."""
        return claims(self.path)

    def report(self) -> Path:
        """report.md and report.html (:func:`warmstart.report`)."""
        return report(self.path)

    def __repr__(self) -> str:
        return f"Results({str(self.path)!r}, complete={self.complete})"


class _Run:
    """One run's hooks: the progress bar, the notes, the stop flag and the errors to raise."""

    def __init__(self, progress: Union[bool, ProgressFn], quiet: bool, log: Optional[logging.Logger],
                 errors: list, desc: str):
        self.progress_fn = progress if callable(progress) else None
        self.bar_wanted = progress is True
        self.bar = None
        self.quiet, self.log, self.errors, self.desc = quiet, log, errors, desc
        self.interrupted = False
        self.handle = ffi.new_handle(self)

    def note(self, who: str, line: str) -> None:
        if self.quiet:
            return
        message = f"{who}: {line.strip()}" if who else line
        if self.log is not None:
            self.log.info("%s", message)
        elif self.bar is not None:
            self.bar.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr, flush=True)

    def progress(self, done: int, total: int, unit: str) -> None:
        if self.progress_fn is not None:
            self.progress_fn(done, total, unit)
        if self.bar_wanted:
            if self.bar is None:  # the first call, before any unit: done is what a resume found finished
                from tqdm.auto import tqdm
                # disable=None: no bar where stderr is not a terminal (a log file); a notebook's shows
                self.bar = tqdm(total=total, initial=done if not unit else done - 1, desc=self.desc, unit="unit",
                                file=sys.stderr, dynamic_ncols=True, disable=None)
            self.bar.total = total
            if unit:
                self.bar.set_postfix_str(unit, refresh=False)
            self.bar.update(done - self.bar.n)

    def interrupt(self, signum=None, frame=None) -> None:
        if not self.interrupted:
            self.note("warmstart", "Ctrl-C: stopping at the next training step, the unit in flight abandoned (the "
                                   "folder stays resumable: run(resume=True))")
        self.interrupted = True

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@ffi.callback("void(void *, const char *, const char *)")
def _note(user, who, line):
    run = ffi.from_handle(user)
    try:
        run.note(text(who), text(line))
    except BaseException as exc:  # noqa: BLE001 -- stops the run, raised by run()
        run.errors.append(exc)


@ffi.callback("int(void *)", error=1)
def _should_stop(user):
    run = ffi.from_handle(user)
    return 1 if run.interrupted or run.errors else 0


@ffi.callback("void(void *, int, int, const char *)")
def _progress(user, done, total, unit):
    run = ffi.from_handle(user)
    try:
        run.progress(done, total, text(unit))
    except BaseException as exc:  # noqa: BLE001
        run.errors.append(exc)


def _hooks(run: _Run):
    h = ffi.new("warmstart_hooks *")
    h.note, h.should_stop, h.progress = _note, _should_stop, _progress
    return h


class _SigintHandler:
    """Ctrl-C sets the run's stop flag for the run's duration (main thread only), with system calls
    restarted rather than failed, and the previous handler put back after."""

    def __init__(self, run: _Run):
        self.run = run
        self.previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self.run.interrupt)
            signal.siginterrupt(signal.SIGINT, False)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


def _finish(status: int, ctx: Context, run: _Run, errors: list) -> None:
    """Raise what a run ended with: an exception of a hook or remedy first (re-raised as it was),
    then Ctrl-C as KeyboardInterrupt, then the library's error."""
    if errors:
        exc = errors[0]
        if status and hasattr(exc, "add_note"):
            exc.add_note(f"warmstart: {ctx.error()}")
        raise exc
    if status == lib.WARMSTART_INTERRUPTED and run.interrupted:
        raise KeyboardInterrupt(f"warmstart: {ctx.error()}; from Python: run(resume=True)")
    ctx.check(status)


class Experiment:
    """An experiment of a scenario ("batch", "online", "active", "transfer", "continual").

    Keyword options are the CLI's (``warmstart SCENARIO --help``), underscores for dashes:
    ``Experiment("online", subset=3000, max_epochs=40, learners=["warm", "random"])``. Each is
    set at once, so a bad name or value raises :class:`warmstart.Error` naming it; options that
    can only be judged together are checked by :meth:`check` (run() checks too). ``None``
    leaves an option at its default. ``out``: the results folder (default the CLI's, e.g.
    ``results/online``); ``threads``: the threads (0: every core).
    """

    def __init__(self, scenario: str, *, out: Optional[PathLike] = None, threads: int = 0, **options: Any):
        ctx = Context(threads)
        ptr = ffi.new("warmstart_experiment **")
        ctx.check(lib.warmstart_experiment_new(ctx.ptr, str(scenario).encode(), ptr))
        self._adopt(ctx, ptr[0], str(scenario), out if out is not None else DEFAULT_OUT.get(scenario, "results"),
                    threads, options)

    @classmethod
    def load(cls, path: PathLike, *, out: Optional[PathLike] = None, threads: int = 0, **options: Any) -> "Experiment":
        """An experiment read from an experiment file (docs/EXPERIMENT-FILES.md: its scenario,
        ``[options]``, ``[grid]`` and ``[claim ID]`` sections), keyword options overriding the
        file's. ``out`` defaults to ``results/<the file's name without .ini>``."""
        ctx = Context(threads)
        ptr = ffi.new("warmstart_experiment **")
        ctx.check(lib.warmstart_experiment_load(ctx.ptr, os.fsencode(path), ptr))
        self = cls.__new__(cls)
        self._adopt(ctx, ptr[0], Path(path).stem, out if out is not None else Path("results") / Path(path).stem,
                    threads, options)
        return self

    def _adopt(self, ctx: Context, e, name: str, out: PathLike, threads: int, options: dict) -> None:
        self._ctx, self._e, self.name = ctx, e, name
        self._bindings: list[_Binding] = []
        self._errors: list[BaseException] = []
        self._sharded = False
        # The experiment before its context; the remedies' structs and handles outlive both.
        self._free = weakref.finalize(self, Experiment._release, e, ctx, self._bindings)
        try:
            self.set("out", out)
            if threads:
                self.set("threads", threads)
            for key, value in options.items():
                if value is not None:
                    self.set(key, value)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _release(e, ctx: Context, bindings: list) -> None:
        lib.warmstart_experiment_free(e)
        ctx.close()
        bindings.clear()

    def close(self) -> None:
        """Free the experiment now (also done when it is collected)."""
        self._free()

    def __enter__(self) -> "Experiment":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _ptr(self):
        if not self._free.alive:
            raise ValueError("the experiment is closed")
        return self._e

    @property
    def out(self) -> Path:
        """The results folder."""
        return self._out

    def set(self, key: str, value: Any) -> "Experiment":
        """Set one option (``set("max_epochs", 40)``; ``set("augment", True)``); returns self.

        Raises :class:`warmstart.Error` naming the option when the name or the value is bad.
        """
        name, value_text = option_name(key), option_text(value)
        self._ctx.check(lib.warmstart_experiment_set(self._ptr(), name.encode(), value_text.encode()))
        if name == "out":
            self._out = Path(value_text)
        return self

    def add_axis(self, axis: str, values: Optional[Sequence[Any]] = None) -> "Experiment":
        """A sweep's axis: ``add_axis("lr=1e-3,1e-2")`` or ``add_axis("lr", [1e-3, 1e-2])`` (on an
        experiment made as a sweep: an experiment file with a ``[grid]``); returns self."""
        spec = axis if values is None else f"{option_name(axis)}={option_text(list(values))}"
        self._ctx.check(lib.warmstart_experiment_add_axis(self._ptr(), spec.encode()))
        return self

    def add_remedy(self, name: str, remedy: Callable[..., Any], **params: Any) -> "Experiment":
        """Add a remedy written in Python as a learner named ``name`` (beside the ``learners``
        option's; no ',' or ':' in it): ``remedy`` is a :class:`warmstart.Remedy` subclass (or any
        factory called as ``remedy(step, **params)``), instantiated once per chain. Its
        parameters are recorded (``remedy.record(**params)`` where it has one). Returns self."""
        binding = _Binding(name, remedy, params, self._errors)
        self._ctx.check(lib.warmstart_experiment_add_remedy(self._ptr(), name.encode(), binding.c, binding.handle))
        self._bindings.append(binding)
        return self

    def check(self) -> "Experiment":
        """Resolve every option (every grid point) before anything runs; raises
        :class:`warmstart.Error` naming what is wrong. Returns self."""
        self._ctx.check(lib.warmstart_experiment_check(self._ptr()))
        return self

    def run(self, progress: Union[bool, ProgressFn] = True, resume: bool = False,
            shard: Union[None, str, tuple[int, int]] = None, *, quiet: bool = False,
            log: Optional[logging.Logger] = None) -> Results:
        """Run the experiment into its folder: units run, recorded, resumable and shardable as
        the CLI's.

        ``progress``: a tqdm bar of the units (True; where stderr is a terminal or in a
        notebook), none (False), or a function called as ``progress(done, total, unit)``: once
        before the first unit (unit "", done the units a resumed run found finished), then
        after each unit. ``resume``: go on with the folder's
        finished units (as ``--resume``; without it a run starts its folder over).
        ``shard``: ``(i, n)``, the i-th of n disjoint slices of the units, counted from 1 as
        ``--shard I/N`` (or the CLI's text, "slurm/4"); it stays set for later runs of this
        experiment. Once every shard has run, :func:`warmstart.merge` writes the results (or,
        with Python remedies, a new Experiment run whole with ``resume=True``). Notes (the data loaded, a seed's result) go to ``log`` (a logger, at INFO)
        or else stderr, none when ``quiet``.

        Ctrl-C (in the main thread) stops the run at the next training step, the unit in
        flight abandoned (it reruns on resume) and what finished recorded, and raises KeyboardInterrupt; ``run(resume=True)`` goes on. An
        exception in a remedy's hook or in ``progress`` stops the run and is raised again here.
        Returns :class:`Results` (the folder, and whether every unit has finished).
        """
        self.set("resume", bool(resume))
        if shard is not None:
            self.set("shard", shard if isinstance(shard, str) else f"{shard[0]}/{shard[1]}")
            self._sharded = True
        elif self._sharded:  # the library has no way to unset it
            raise ValueError("this experiment was run as a shard, and a shard it stays: make a new Experiment "
                             "for the whole run (with resume=True it finds the shards' units finished)")
        self.check()
        self._errors.clear()
        run = _Run(progress, quiet, log, self._errors, self.name)
        hooks, complete = _hooks(run), ffi.new("int *")
        try:
            with _SigintHandler(run):
                status = lib.warmstart_experiment_run(self._ptr(), hooks, run.handle, complete)
        finally:
            run.close()
        _finish(status, self._ctx, run, self._errors)
        return Results(self._out, bool(complete[0]))

    def __repr__(self) -> str:
        return f"Experiment({self.name!r}, out={str(self._out)!r})"


def merge(dirs: Union[PathLike, Iterable[PathLike]], out: Optional[PathLike] = None) -> Results:
    """Merge a run split into shards, as ``warmstart merge``: the folder the shards shared, or the
    folders copied back from several machines (into ``out``, default the first), written as one
    process would have. Every unit must have finished; every folder must hold the same
    experiment. The experiment is rebuilt from the folder's run.json, which cannot hold Python
    remedies: a run with some is refused; finish it instead by running the same experiment,
    remedies added, unsharded with ``resume=True`` (every unit is found finished, the results
    are written)."""
    folders = [dirs] if isinstance(dirs, (str, os.PathLike)) else list(dirs)
    ctx = Context()
    encoded = [ffi.new("char[]", os.fsencode(d)) for d in folders]
    array = ffi.new("const char *[]", encoded) if encoded else ffi.NULL
    ctx.check(lib.warmstart_merge(ctx.ptr, array, len(encoded), os.fsencode(out) if out is not None else ffi.NULL))
    return Results(out if out is not None else folders[0], True)
