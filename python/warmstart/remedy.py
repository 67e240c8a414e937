"""Remedies written in Python: a class whose methods see the model's parameters as NumPy views.

A :class:`Remedy` subclass is added to an experiment with
``Experiment.add_remedy(name, cls, **params)``; the library makes one instance per chain (a
seed's run of that learner) through the C ``create`` hook and calls the methods the class
defines where the built-in remedies act. Each method gets a :class:`Step`, whose arrays view the
library's arenas: writing into ``p.data`` changes the weights, into ``p.grad`` (in
``after_backward``) the update. Nothing is copied, and the views are cached while the arenas stay
where they are, so a hook costs little more than the NumPy work it does.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Optional

import numpy as np

from ._context import Error
from ._native import ffi, lib, text

#: The hooks a remedy may define, in the order a chain meets them.
HOOKS = ("start", "begin", "after_backward", "after_update", "end")


def _address(p) -> int:
    return int(ffi.cast("uintptr_t", p))


def _view(p, numel: int, shape: tuple, writeable: bool = True) -> Optional[np.ndarray]:
    """float32 array of `shape` over C memory at p (None for NULL): a view, no copy."""
    if p == ffi.NULL:
        return None
    a = np.frombuffer(ffi.buffer(p, 4 * numel), dtype=np.float32) if numel else np.empty(0, np.float32)
    a = a.reshape(shape)
    if not writeable:
        a.flags.writeable = False
    return a


class Param:
    """One parameter of the model in PyTorch's name and layout, as float32 views of the arenas.

    ``data``: the parameter (write into it to change the weights). ``grad``: its gradient (in
    after_backward this step's, else the last one's; None before the first backward). ``fresh``:
    in ``begin`` after the first round, the round's fresh initialisation (the random learner's),
    and after :meth:`Step.draw_fresh` its draw; read-only, else None. ``moment1``/``moment2``:
    the optimizer's state where it exists (SGD's momentum; Adam's exp_avg and exp_avg_sq), else
    None. ``offset``: where it starts in the flat arenas (``Step.weights``, ``Step.grads``).
    The views are valid only during the hook call: copy what is kept.
    """

    __slots__ = ("name", "shape", "numel", "offset", "data", "grad", "_c", "_cache")

    def __init__(self, c, weights: int):
        self.name = text(c.name)
        self.shape = tuple(int(c.dims[d]) for d in range(c.ndim))
        self.numel = int(c.numel)
        self.offset = (_address(c.data) - weights) // 4 if weights else 0
        self.data = _view(c.data, self.numel, self.shape)
        self.grad = _view(c.grad, self.numel, self.shape)
        # The C struct lives in the chain's memory for the chain's life and is rewritten before
        # each hook: the pointers that move between hooks (fresh, the moments of an optimizer
        # rebuilt each round) are read from it when asked for, their views kept by address.
        self._c = c
        self._cache: dict = {}

    def _lazy(self, field: str, writeable: bool) -> Optional[np.ndarray]:
        address = _address(getattr(self._c, field))
        if not address:
            return None
        view = self._cache.get((field, address))
        if view is None:
            if len(self._cache) > 8:
                self._cache.clear()
            view = _view(ffi.cast("float *", address), self.numel, self.shape, writeable)
            self._cache[(field, address)] = view
        return view

    @property
    def fresh(self) -> Optional[np.ndarray]:
        return self._lazy("fresh", False)

    @property
    def moment1(self) -> Optional[np.ndarray]:
        return self._lazy("moment1", True)

    @property
    def moment2(self) -> Optional[np.ndarray]:
        return self._lazy("moment2", True)

    def __repr__(self) -> str:
        return f"Param({self.name!r}, shape={self.shape})"


class Hidden:
    """A hidden layer of a sequential network (the MLP, Kumar et al.'s CNN; none for ResNet-18
    or CReLU), for remedies that score and reset units (continual backprop, ReDo).

    ``in_weight``, ``in_bias`` (or None): the :class:`Param` making the units (a unit is a row of
    a Linear weight, an output channel of a Conv2d); ``out_weight``: the one reading them (a
    unit's outgoing weights are columns ``u*out_span .. (u+1)*out_span - 1`` of a Linear's
    rows, or ``w[:, u]`` of a Conv2d). ``units``, ``positions`` (entries per unit and example:
    a channel's H*W), ``out_span``. ``activation``: in after_backward and after_update, the
    activation's output of this step's forward, (batch, units, positions), read-only; else None.
    """

    __slots__ = ("in_weight", "in_bias", "out_weight", "units", "positions", "out_span", "activation")

    def __init__(self, c, params: list, batch: int):
        self.in_weight = params[c.in_weight]
        self.in_bias = params[c.in_bias] if c.in_bias >= 0 else None
        self.out_weight = params[c.out_weight]
        self.units, self.positions, self.out_span = int(c.units), int(c.positions), int(c.out_span)
        shape = (batch, self.units, self.positions)
        self.activation = _view(c.activation, batch * self.units * self.positions, shape, writeable=False) \
            if batch > 0 else None

    def __repr__(self) -> str:
        return f"Hidden({self.in_weight.name!r} -> {self.out_weight.name!r}, units={self.units})"


class _Views:
    """A chain's views, kept while the arenas stay where they are: a call compares four numbers
    (the arenas' and the parameter table's addresses, the count) and remakes the views only when
    one moved (the gradient arena made by the first training step, another model). The pointers
    that move between hooks are read when asked for (:class:`Param`)."""

    __slots__ = ("key", "params", "weights", "grads", "hidden_key", "hidden")

    def __init__(self):
        self.key = None
        self.params: dict[str, Param] = {}
        self.weights = self.grads = None
        self.hidden_key = None
        self.hidden: list[Hidden] = []

    def hidden_of(self, s) -> list:
        """The hidden layers, remade when their structs (the activations' pointers) or the batch
        change."""
        raw = ffi.buffer(s.hidden, s.nhidden * ffi.sizeof("warmstart_hidden"))[:] if s.nhidden else b""
        params = list(self.of(s).params.values())
        key = (raw, s.batch, id(params[0]) if params else 0)
        if key != self.hidden_key:
            self.hidden = [Hidden(s.hidden[i], params, s.batch) for i in range(s.nhidden)]
            self.hidden_key = key
        return self.hidden

    def of(self, s) -> "_Views":
        key = (_address(s.weights), _address(s.grads), _address(s.params), s.nparams)
        if key != self.key:
            self.params = {p.name: p for p in (Param(s.params[i], key[0]) for i in range(s.nparams))}
            self.weights = _view(s.weights, s.nweights, (s.nweights,))
            self.grads = _view(s.grads, s.nweights, (s.nweights,))
            self.key = key
        return self


class Step:
    """Where a hook is called: the round, the counts and the model's parameters.

    ``round``: the round (a continual run's task) that begins, trains or has ended (0: the
    first). ``step``: updates so far, every round counted. ``batch``: the batch's size in
    after_backward and after_update, else 0. ``seed``: the chain's seed. ``params``: name ->
    :class:`Param`, in the model's order. ``hidden``: the hidden layers of a sequential
    network (:class:`Hidden`: the units' parameters and this step's activations). ``weights``, ``grads``: the whole arenas as flat
    float32 views (``params[n].data`` is ``weights[p.offset:p.offset + p.numel]``). Valid only
    during the hook call.
    """

    __slots__ = ("_s", "_views")

    def __init__(self, s, views: _Views):
        self._s = s
        self._views = views

    @property
    def round(self) -> int:
        return self._s.round

    @property
    def step(self) -> int:
        return self._s.step

    @property
    def batch(self) -> int:
        return self._s.batch

    @property
    def seed(self) -> int:
        return self._s.seed

    @property
    def nweights(self) -> int:
        """Floats in the parameter arena."""
        return self._s.nweights

    @property
    def params(self) -> dict[str, Param]:
        return self._views.of(self._s).params

    @property
    def hidden(self) -> list[Hidden]:
        """The hidden layers of a sequential network (:class:`Hidden`), in order; [] for others."""
        return self._views.hidden_of(self._s)

    @property
    def weights(self) -> Optional[np.ndarray]:
        return self._views.of(self._s).weights

    @property
    def grads(self) -> Optional[np.ndarray]:
        return self._views.of(self._s).grads

    def draw_fresh(self, draw: int) -> None:
        """In after_backward and after_update: draw a fresh initialisation of the whole model
        into the parameters' ``fresh`` (read ``params`` again after it), the same for the same
        (seed, draw) in every run: key it on the step count."""
        status = lib.warmstart_step_draw_fresh(self._s, int(draw))
        if status:
            raise Error(status, "draw_fresh: only in after_backward and after_update")

    def __repr__(self) -> str:
        return f"Step(round={self.round}, step={self.step}, batch={self.batch}, seed={self.seed})"


class Remedy:
    """The base of a remedy written in Python; every method is optional.

    ``__init__(step, **params)`` runs once per chain, when it starts: ``step`` gives the
    parameters' names and shapes (not yet the weights it starts from). Whatever must survive a
    resume goes into float32 arrays that :meth:`state` returns: they exist from ``__init__`` on,
    are written into each checkpoint of the chain and, when a run resumes, filled back in place.

    The hooks, each given a :class:`Step`:

    - ``start(step)``: the learner's first weights, once per chain, before its first round
      (L2 Init's theta_0). Not called again when a chain resumes: keep what it takes in ``state``.
    - ``begin(step)``: a round begins (every round); on return the parameters hold the model it
      starts from; after the first round ``p.fresh`` is the round's fresh initialisation.
    - ``after_backward(step)``: each step, before the update (change ``p.grad``).
    - ``after_update(step)``: each step, after the update.
    - ``end(step)``: the round has trained.

    Only the hooks a subclass defines are called. An exception in one stops the run (what
    finished stays recorded) and ``Experiment.run`` raises it again, as it was.
    """

    def __init__(self, step: Step, **params: Any):
        self.config = dict(params)

    def state(self) -> dict[str, np.ndarray]:
        """The arrays that persist in the checkpoint: name -> C-contiguous float32 array."""
        return {}

    @classmethod
    def record(cls, **params: Any) -> dict:
        """What the learner's configuration record adds (JSON-serialisable): its parameters."""
        return dict(params)


def _defined_hooks(factory: Callable) -> tuple:
    """The hooks a remedy class defines (a Remedy subclass: those it overrides; any other
    class or factory: all of them, looked up on each instance)."""
    if isinstance(factory, type) and issubclass(factory, Remedy):
        return tuple(h for h in HOOKS if callable(getattr(factory, h, None)))
    return HOOKS


class _Chain:
    """One chain's instance of the remedy, its views and the state arrays handed to C."""

    __slots__ = ("binding", "obj", "views", "handle", "methods", "kept", "__weakref__")

    def __init__(self, binding: "_Binding"):
        self.binding = binding
        self.obj = None
        self.views = _Views()
        self.handle = ffi.new_handle(self)
        self.methods: dict[str, Callable] = {}
        self.kept: list = []  # the names' and arrays' cdata, alive while C holds their pointers

    def state_arrays(self, out, cap: int) -> int:
        state = getattr(self.obj, "state", None)
        arrays = state() if callable(state) else {}
        if not isinstance(arrays, dict):
            raise TypeError(f"remedy '{self.binding.name}': state() must return a dict of float32 arrays")
        if len(arrays) > cap:
            raise ValueError(f"remedy '{self.binding.name}': state() gave {len(arrays)} arrays, at most {cap}")
        kept = []
        for i, (name, a) in enumerate(arrays.items()):
            if not (isinstance(a, np.ndarray) and a.dtype == np.float32 and a.flags.c_contiguous and a.flags.writeable):
                raise TypeError(f"remedy '{self.binding.name}': state array '{name}' must be a writeable, C-contiguous "
                                f"float32 NumPy array (it is filled in place on resume)")
            cname = ffi.new("char[]", str(name).encode())
            data = ffi.from_buffer("float[]", a, require_writable=True) if a.size else ffi.NULL
            kept.append((cname, data, a))
            out[i].name, out[i].data, out[i].n = cname, data, a.size
        self.kept = kept
        return len(kept)


class _Binding:
    """One Experiment.add_remedy: the factory, its parameters and the C remedy struct."""

    def __init__(self, name: str, factory: Callable, params: dict, errors: list):
        self.name = name
        self.factory = factory
        self.params = params
        self.errors = errors  # the experiment's: the first exception is raised by run()
        self.handle = ffi.new_handle(self)
        self.chains: dict[int, _Chain] = {}
        self.hooks = _defined_hooks(factory)
        recorder = getattr(factory, "record", None)
        record = recorder(**params) if callable(recorder) else dict(params)
        self.record_text = ffi.new("char[]", json.dumps(record).encode())
        self.c = ffi.new("warmstart_remedy *")
        self.c.create, self.c.destroy, self.c.state_arrays = _create, _destroy, _state_arrays
        for hook in self.hooks:
            setattr(self.c, hook, _HOOK_CALLBACKS[hook])
        self.c.record = self.record_text

    def fail(self, exc: BaseException, where: str) -> int:
        if not self.errors:
            if hasattr(exc, "add_note"):
                exc.add_note(f"(in remedy '{self.name}', its {where} hook)")
            self.errors.append(exc)
        return 1


# ---- the C callbacks: made once, shared by every remedy (the user pointer says whose) ----------

@ffi.callback("int(void *, const warmstart_step *, void **)", error=1)
def _create(user, s, state):
    b = ffi.from_handle(user)
    try:
        chain = _Chain(b)
        chain.obj = b.factory(Step(s, chain.views), **b.params)
        for hook in b.hooks:
            method = getattr(chain.obj, hook, None)
            if callable(method):
                chain.methods[hook] = method
        b.chains[id(chain)] = chain
        state[0] = chain.handle
        return 0
    except BaseException as exc:  # noqa: BLE001 -- re-raised by Experiment.run
        return b.fail(exc, "create (__init__)")


@ffi.callback("void(void *, void *)")
def _destroy(user, state):
    if state != ffi.NULL:
        chain = ffi.from_handle(state)
        chain.binding.chains.pop(id(chain), None)


@ffi.callback("int(void *, void *, warmstart_array *, int)", error=-1)
def _state_arrays(user, state, out, cap):
    chain = ffi.from_handle(state)
    try:
        return chain.state_arrays(out, cap)
    except BaseException as exc:  # noqa: BLE001
        chain.binding.fail(exc, "state")
        return -1


def _hook_callback(hook: str):
    def call(user, state, s):
        chain = ffi.from_handle(state)
        method = chain.methods.get(hook)
        if method is None:
            return 0
        try:
            method(Step(s, chain.views))
            return 0
        except BaseException as exc:  # noqa: BLE001
            return chain.binding.fail(exc, hook)

    return ffi.callback("int(void *, void *, const warmstart_step *)", call, error=1)


_HOOK_CALLBACKS = {hook: _hook_callback(hook) for hook in HOOKS}
