"""The harness of the remedies' parity tests (tests/parity/test_remedy_*.py).

Each test transcribes its remedy from the authors' code into PyTorch, independently of
warmstart, and runs it beside `parity_tool learner` (tests/parity/parity_learner.c) on the
same weights, batches and optimizer state: torch.optim.Adam or SGD for the training, the
remedy's own steps in its hooks. The fresh initialisations a remedy draws are warmstart's
(its random streams are not PyTorch's): the tool writes each step's draw (`draw<k>.<name>`,
and the round's `begin.fresh.<name>`) and the transcription takes its fresh values from them,
so what is compared is the algorithm, not the generator."""

import subprocess

import numpy as np

import st
from common import rel_err
from nets import kumar_modules

# Models: parity_tool's spec and the torch module with warmstart's parameter names.
MODELS = {
    "mlp": ("mlp:20:16,12:5", lambda CNN, MLP: MLP(20, [16, 12], 5)),
    "mlp-ln": ("mlp:20:16,12:5:ln", lambda CNN, MLP: MLP(20, [16, 12], 5, ln=True)),
    "cnn": ("cnn:1:20:20:4:12,10:5", lambda CNN, MLP: CNN((1, 20, 20), 4, [12, 10], 5)),
    "cnn-ln": ("cnn:1:20:20:4:12,10:5:ln", lambda CNN, MLP: CNN((1, 20, 20), 4, [12, 10], 5, ln=True)),
}
INPUT = {"mlp": (20,), "mlp-ln": (20,), "cnn": (1, 20, 20), "cnn-ln": (1, 20, 20)}


def build(torch, kind, seed):
    """A torch model of `kind` (a MODELS key) initialised from `seed`, LayerNorm's perturbed off
    1 and 0 so that resetting them shows."""
    CNN, MLP = kumar_modules(torch)
    torch.manual_seed(seed)
    model = MODELS[kind][1](CNN, MLP)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n.startswith("ln") or n.startswith("layer_norm"):
                p.add_(0.1 * torch.randn_like(p))
    return model


def batches(torch, kind, steps, B, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn((steps, B, *INPUT[kind]), generator=g)
    y = torch.randint(0, 5, (steps, B), generator=g)
    return x, y


def state_of(model):
    return {n: p.detach().numpy().astype(np.float32).copy() for n, p in model.named_parameters()}


def adam_state(torch, opt, model):
    """The optimizer's state as parity_tool reads it (opt.exp_avg.<name>, ..., opt.step)."""
    out, step = {}, 0
    for n, p in model.named_parameters():
        s = opt.state.get(p, {})
        for key in ("exp_avg", "exp_avg_sq", "momentum_buffer"):
            if key in s and s[key] is not None:
                out[f"opt.{key}.{n}"] = s[key].detach().numpy().astype(np.float32).copy()
        if "step" in s:
            step = max(step, int(s["step"]))
    out["opt.step"] = np.array(step, dtype=np.int64)
    return out


def param_steps(opt, model):
    """Each parameter's own step count in torch's optimizer ({name: int}; 0 where it has no state)."""
    return {n: int(opt.state.get(p, {}).get("step", 0)) for n, p in model.named_parameters()}


def warm_up_adam(torch, model, x, y, lr, steps=2):
    """An Adam optimizer with `steps` updates behind it on the batches (its moments not zero),
    applied to model: the state both sides then start from."""
    F = torch.nn.functional
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for k in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(x[k % len(x)]), y[k % len(y)]).backward()
        opt.step()
    return opt


def run_tool(tool, tmp, kind, learner, model, x, y, steps, opt_state=None, flags=()):
    """parity_tool learner on the model's weights: its output arrays and metadata."""
    inp, out = f"{tmp}/in.safetensors", f"{tmp}/out.safetensors"
    tensors = dict(state_of(model))
    tensors["x"] = x.numpy().astype(np.float32)
    tensors["y"] = y.numpy().astype(np.int64)
    if opt_state:
        tensors.update(opt_state)
    st.save(tensors, inp)
    cmd = [tool, "learner", MODELS[kind][0], learner, inp, out, "--steps", str(steps), "--threads", "1",
           "--backend", "reference", *flags]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
    return st.load(out)


def draw(got, k):
    """Step k's fresh initialisation as the tool drew it: {name: array}."""
    prefix = f"draw{k}."
    return {n[len(prefix):]: v for n, v in got.items() if n.startswith(prefix)}


def torch_train(torch, model, opt, x, y, steps, after_backward=None, after_step=None):
    """steps of zero_grad / forward / loss / backward / [after_backward] / step / [after_step],
    the hooks given (k, captured activations of the step's forward)."""
    F = torch.nn.functional
    for k in range(1, steps + 1):
        model.captured = []
        j = (k - 1) % len(x)
        opt.zero_grad()
        F.cross_entropy(model(x[j]), y[j]).backward()
        captured, model.captured = model.captured, None
        if after_backward:
            after_backward(k, captured)
        opt.step()
        if after_step:
            after_step(k, captured)


def worst(got, ref, prefix=""):
    """The largest relative error over ref's arrays against got[prefix + name], and its name."""
    errs = [(rel_err(got[prefix + n], np.asarray(v)), n) for n, v in ref.items()]
    return max(errs) if errs else (0.0, "-")


# Parameters within 1e-5 of torch's, relative to each array's scale; the optimizer's moments
# within 1e-4: exp_avg_sq is a sum of squared gradients, and two float32 computations of a
# gradient that agree to a few 1e-6 give squares that agree to about twice that, summed.
PARAM_TOL, MOMENT_TOL = 1e-5, 1e-4


def errors(got, model, opt, torch):
    """(parameters' worst (err, name), moments' worst, torch's step)."""
    ref = adam_state(torch, opt, model)
    step = int(ref.pop("opt.step"))
    return worst(got, state_of(model), "param."), worst(got, ref), step


def check_all(rep, label, got, model, opt, torch):
    """Parameters and the optimizer's moments and step after the run, each against torch's."""
    (e, n), (em, nm), step = errors(got, model, opt, torch)
    rep.check(e <= PARAM_TOL, f"{label}: parameters, max rel err {e:.1e} ({n}) <= {PARAM_TOL:g}")
    rep.check(em <= MOMENT_TOL, f"{label}: optimizer moments, max rel err {em:.1e} ({nm}) <= {MOMENT_TOL:g}")
    own = {n: int(got[f"opt.param_step.{n}"]) for n in param_steps(opt, model)}
    rep.check(own == param_steps(opt, model), f"{label}: every parameter's step count as torch's {sorted(set(own.values()))}")
    rep.check(int(got["opt.step"]) == step, f"{label}: optimizer step {int(got['opt.step'])} == torch's {step}")
