"""warmstart from Python: experiments on the warm-start problem, their results as pandas
DataFrames, remedies written in NumPy, checkpoints as NumPy arrays for PyTorch.

A binding of libwarmstart's stable C API (include/warmstart.h, docs/API.md) through cffi in ABI
mode; python/README.md walks through it.

    import warmstart
    exp = warmstart.Experiment("online", subset=3000, learners=["warm", "random"], out="results/x")
    run = exp.run()                       # a progress bar; Ctrl-C stops it resumably
    df = warmstart.results(run.path)      # long form: point, learner, seed, stage, measure, value, stop
"""
from ._context import Error
from ._native import API_VERSION, HEADER, ffi, lib
from .experiment import DEFAULT_OUT, Experiment, Results, merge
from .remedy import Hidden, Param, Remedy, Step
from .results import claims, load_checkpoint, report, results

__all__ = ["API_VERSION", "Error", "Experiment", "Hidden", "Param", "Remedy", "Results", "Step", "claims", "load_checkpoint",
           "merge", "report", "results", "version", "DEFAULT_OUT"]


def version() -> str:
    """The library's version ("0.1.0")."""
    return ffi.string(lib.warmstart_version()).decode()


__version__ = version()
