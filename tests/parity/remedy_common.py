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
from common import make_resnet, rel_err
from nets import kumar_modules

# Models: parity_tool's spec and the torch module with warmstart's parameter names (the ResNet:
# the official code's CIFAR ResNet-18, width 2, on 28x28 inputs, its BatchNorm in train mode).
MODELS = {
    "mlp": ("mlp:20:16,12:5", lambda CNN, MLP, R: MLP(20, [16, 12], 5)),
    "mlp-ln": ("mlp:20:16,12:5:ln", lambda CNN, MLP, R: MLP(20, [16, 12], 5, ln=True)),
    "mlp-eq": ("mlp:20:16,16:5", lambda CNN, MLP, R: MLP(20, [16, 16], 5)),  # equal hidden widths
    "cnn": ("cnn:1:20:20:4:12,10:5", lambda CNN, MLP, R: CNN((1, 20, 20), 4, [12, 10], 5)),
    "cnn-ln": ("cnn:1:20:20:4:12,10:5:ln", lambda CNN, MLP, R: CNN((1, 20, 20), 4, [12, 10], 5, ln=True)),
    "resnet": ("resnet18:1:28:28:2:5", lambda CNN, MLP, R: R(5, 1, 2)),
}
INPUT = {"mlp": (20,), "mlp-ln": (20,), "mlp-eq": (20,), "cnn": (1, 20, 20), "cnn-ln": (1, 20, 20),
         "resnet": (1, 28, 28)}


def build(torch, kind, seed):
    """A torch model of `kind` (a MODELS key) initialised from `seed`, LayerNorm's perturbed off
    1 and 0 so that resetting them shows."""
    CNN, MLP = kumar_modules(torch)
    ResNet18, _ = make_resnet(torch)
    torch.manual_seed(seed)
    model = MODELS[kind][1](CNN, MLP, ResNet18)
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


def buffers_of(model):
    """BatchNorm's running statistics (float32) and num_batches_tracked (int64), by name."""
    return {n: b.detach().numpy().copy() for n, b in model.named_buffers()}


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
    tensors.update(buffers_of(model))
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


def hidden_layers(model):
    """(producer, LayerNorm or None, consumer) of each hidden layer of an MLP or Kumar et al.'s
    CNN (nets.py), in forward order."""
    if hasattr(model, "conv1"):
        names = ["conv1", "conv2", "fc1", "fc2", "output_layer"]
        norms = [f"layer_norm{i}" for i in range(1, 5)]
    else:
        names = [f"lm{i}" for i in range(1, model.n + 2)]
        norms = [f"ln{i}" for i in range(1, model.n + 1)]
    return [(getattr(model, names[i]), getattr(model, norms[i], None) if model.ln else None, getattr(model, names[i + 1]))
            for i in range(len(names) - 1)]


def reset_units(torch, model, opt, layer, mask, fresh, zero_bias_moments=True):
    """Reset the units `mask` of hidden layer `layer` ((producer, norm, consumer)) as the unit
    resets do (ReDo, SNR): incoming weights from `fresh` ({name: array}), bias 0, LayerNorm's
    scale and offset of the unit 1 and 0, outgoing weights 0 (a channel's H*W columns after
    flattening), and Adam's exp_avg and exp_avg_sq of all of these 0 (the bias's only if
    zero_bias_moments); the step kept."""
    prod, norm, cons = layer
    names = {id(p): n for n, p in model.named_parameters()}
    units = prod.weight.shape[0]

    def zero(p, index):
        for key in ("exp_avg", "exp_avg_sq"):
            opt.state[p][key][index] = 0

    with torch.no_grad():
        prod.weight[mask] = torch.from_numpy(fresh[names[id(prod.weight)]])[mask]
        zero(prod.weight, mask)
        if prod.bias is not None:
            prod.bias[mask] = 0
            if zero_bias_moments:
                zero(prod.bias, mask)
        if norm is not None:
            norm.weight[mask] = 1
            norm.bias[mask] = 0
            zero(norm.weight, mask)
            zero(norm.bias, mask)
        w = cons.weight
        w.view(w.shape[0], units, -1)[:, mask] = 0
        for key in ("exp_avg", "exp_avg_sq"):
            opt.state[w][key].view(w.shape[0], units, -1)[:, mask] = 0


def told_apart(rep, label, got, model, opt, torch, control, both=False):
    """A negative control: the tool's run against a plausible wrong transcription (`control`
    names it) must differ by far more than the tolerances -- in the parameters or the moments,
    or (both=True) in each."""
    (e, _), (em, _), _ = errors(got, model, opt, torch)
    far = (e > 100 * PARAM_TOL, em > 100 * MOMENT_TOL)
    rep.check(all(far) if both else any(far), f"{label}: told apart from {control} (errors {e:.1e}, {em:.1e})")
