#!/usr/bin/python3
"""Tables of the ResNet-18 benchmark (bench/run_resnet.sh) from its raw
key=value lines:

    bench/resnet_report.py build/bench/last-run-resnet.txt

1. training step, median ms per case (the lowest of the rounds' medians),
   ratio = PyTorch ms / warmstart ms (> 1: warmstart faster), and each side
   at its best thread count;
2. eval-mode forward throughput, images/s (ratio = warmstart / PyTorch);
3. peak RSS of the process per case;
4. per layer type (bench_resnet layers; each op's lowest median over the
   rounds): ms per training step, GFLOP/s and the fraction of the FP32 FMA
   peak (PEAK_GFLOPS per thread count below).
Nothing but the standard library."""
import sys
from collections import OrderedDict, defaultdict

# FP32 FMA peak of the reference machine (2 Zen 4 vCPUs, AVX-512 as 2x256-bit:
# 2 FMA pipes x 8 lanes x 2 flops x ~3.55 GHz ~ 114 GFLOP/s per core).
PEAK_GFLOPS = {1: 114.0, 2: 225.0}


def peak(t):
    return PEAK_GFLOPS.get(t, 112.5 * t)


def parse(path):
    steps = defaultdict(dict)  # (model, opt) -> impl -> threads -> [lines]
    ops = OrderedDict()  # (model, threads, layer, type, pass) -> the round with the lowest median
    order = []
    with open(path) as f:
        for line in f:
            if line.startswith("bench "):
                kv = dict(tok.split("=", 1) for tok in line.split()[1:])
                key = (kv["model"], kv["opt"])
                if key not in order:
                    order.append(key)
                steps[key].setdefault(kv["impl"], {}).setdefault(int(kv["threads"]), []).append(kv)
            elif line.startswith("op "):
                kv = dict(tok.split("=", 1) for tok in line.split()[1:])
                key = (kv["model"], kv["threads"], kv["layer"], kv["type"], kv["pass"])
                if key not in ops or float(kv["median_ms"]) < float(ops[key]["median_ms"]):
                    ops[key] = kv
    return steps, order, list(ops.values())


def best(runs, field="median_ms"):
    return min(float(r[field]) for r in runs)


def fmt(v, w, p):
    return f"{v:{w}.{p}f}" if v is not None else f"{'-':>{w}}"


def step_tables(steps, order):
    train = [k for k in order if k[1] != "eval"]
    evals = [k for k in order if k[1] == "eval"]
    if train:
        print("Training step, batch 128: median ms (best of the rounds); ratio = PyTorch / warmstart (> 1: warmstart faster)")
        print()
        hdr = f"{'model':<13} {'optimizer':<13} {'threads':>8} {'warmstart':>10} {'pytorch':>10} {'ratio':>7}"
        print(hdr)
        print("-" * len(hdr))
        for key in train:
            ours = {t: best(v) for t, v in steps[key].get("warmstart", {}).items()}
            torch = {t: best(v) for t, v in steps[key].get("torch", {}).items()}
            for t in sorted(set(ours) | set(torch)):
                a, b = ours.get(t), torch.get(t)
                ratio = f"{b / a:7.2f}" if a and b else f"{'-':>7}"
                print(f"{key[0]:<13} {key[1]:<13} {t:>8} {fmt(a, 10, 1)} {fmt(b, 10, 1)} {ratio}")
            if ours and torch:
                ta, tb = min(ours, key=ours.get), min(torch, key=torch.get)
                a, b = ours[ta], torch[tb]
                print(f"{key[0]:<13} {key[1]:<13} {'best ' + str(ta) + '/' + str(tb):>8} {a:10.1f} {b:10.1f} {b / a:7.2f}")
        print()
        print("'best a/b': each side at its fastest thread count (a for warmstart, b for PyTorch).")
        print()
    if evals:
        print("Eval-mode forward, batch 128: images/s (from the best round's median); ratio = warmstart / PyTorch (> 1: warmstart faster)")
        print()
        hdr = f"{'model':<13} {'threads':>8} {'warmstart':>10} {'pytorch':>10} {'ratio':>7}"
        print(hdr)
        print("-" * len(hdr))
        for key in evals:
            B = {t: int(v[0]["batch"]) for t, v in steps[key].get("warmstart", steps[key].get("torch", {})).items()}
            ours = {t: B[t] / best(v) * 1e3 for t, v in steps[key].get("warmstart", {}).items()}
            torch = {t: B.get(t, 128) / best(v) * 1e3 for t, v in steps[key].get("torch", {}).items()}
            for t in sorted(set(ours) | set(torch)):
                a, b = ours.get(t), torch.get(t)
                ratio = f"{a / b:7.2f}" if a and b else f"{'-':>7}"
                print(f"{key[0]:<13} {t:>8} {fmt(a, 10, 0)} {fmt(b, 10, 0)} {ratio}")
            if ours and torch:
                ta, tb = max(ours, key=ours.get), max(torch, key=torch.get)
                a, b = ours[ta], torch[tb]
                print(f"{key[0]:<13} {'best ' + str(ta) + '/' + str(tb):>8} {a:10.0f} {b:10.0f} {a / b:7.2f}")
        print()
    print("Peak RSS of the process, MB (getrusage ru_maxrss, one process per case, the largest over thread counts")
    print("and rounds); 'ws plan': warmstart's planned activation/saved/gradient arenas (ws_model_plan_floats);")
    print("PyTorch's RSS includes the interpreter and libtorch: 'import' is its peak before the model exists")
    print()
    hdr = (f"{'model':<13} {'case':<13} {'warmstart':>10} {'ws plan':>8} {'pytorch':>10} {'import':>8} "
           f"{'pt-import':>10}")
    print(hdr)
    print("-" * len(hdr))
    for key in order:
        def mx(impl, field):
            runs = [r for v in steps[key].get(impl, {}).values() for r in v if field in r]
            return max(float(r[field]) for r in runs) if runs else None
        a, b, base = mx("warmstart", "maxrss_mb"), mx("torch", "maxrss_mb"), mx("torch", "base_rss_mb")
        plan = mx("warmstart", "plan_mb")
        d = b - base if b is not None and base is not None else None
        print(f"{key[0]:<13} {key[1]:<13} {fmt(a, 10, 0)} {fmt(plan, 8, 0)} {fmt(b, 10, 0)} {fmt(base, 8, 0)} "
              f"{fmt(d, 10, 0)}")
    print()


TYPE_ORDER = ["conv3x3_stem", "conv3x3", "conv3x3_s2", "conv1x1_s2", "bn", "relu", "add", "pool", "head", "optim"]
PASS_ORDER = ["fwd", "bwd", "bwd_w", "bwd_x", "eval", "zero_grad", "sgd-momentum", "adam"]
PASS_LABEL = {"bwd_w": "bwd dW", "bwd_x": "bwd dX", "eval": "fwd eval", "sgd-momentum": "sgd-mom", "zero_grad": "zero_grad"}


def layer_tables(ops, steps):
    models = list(OrderedDict.fromkeys(o["model"] for o in ops))
    for model in models:
        mops = [o for o in ops if o["model"] == model]
        threads = sorted({int(o["threads"]) for o in mops})
        # (type, pass) -> threads -> [ms per step, gflop per step, mbytes per step]
        agg = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0, 0.0]))
        total = defaultdict(float)
        for o in mops:
            t = int(o["threads"])
            ms, gf, mb = float(o["median_ms"]), float(o["gflop"]), float(o["mbytes"])
            n = int(o["count"])
            mult = n if n > 0 else 1  # count 0: not in the training step (eval, dW-only, Adam): once per layer
            cell = agg[(o["type"], o["pass"])][t]
            cell[0] += mult * ms
            cell[1] += mult * gf
            cell[2] += mult * mb
            total[t] += n * ms
        # dX of the convolutions = bwd - bwd dW (layers with din only: the stem has no bwd_w)
        for typ in TYPE_ORDER:
            if (typ, "bwd_w") in agg and (typ, "bwd") in agg:
                for t in threads:
                    b, w = agg[(typ, "bwd")][t], agg[(typ, "bwd_w")][t]
                    agg[(typ, "bwd_x")][t] = [b[0] - w[0], b[1] - w[1], 0.0]
        B = mops[0]["batch"]
        print(f"{model}, batch {B}: backend ops on the network's layer shapes, summed per layer type over one")
        print("training step (each op timed alone: median of --reps calls after a warm-up call, lowest over the rounds)")
        print(f"GFLOP/s: nominal flops (conv: 2 per multiply-add) / time; %pk: of the FP32 FMA peak "
              f"({', '.join(f'{peak(t):.0f} at {t}T' for t in threads)}); GB/s: least traffic / time")
        print("(the nominal flops are the direct sum's: layers that oneDNN runs as Winograd F(4x4,3x3), which needs")
        print(" ~2.25x fewer multiplications, can show more than 100 % of the peak)")
        print()
        head = f"{'type':<13} {'pass':<9} {'GFLOP':>7}"
        for t in threads:
            head += f" | {str(t) + 'T ms':>8} {'GFLOP/s':>7} {'%pk':>4} {'GB/s':>5} {'%step':>5}"
        print(head)
        print("-" * len(head))
        keys = sorted(agg, key=lambda k: (TYPE_ORDER.index(k[0]) if k[0] in TYPE_ORDER else 99,
                                          PASS_ORDER.index(k[1]) if k[1] in PASS_ORDER else 99))
        for k in keys:
            first = agg[k][threads[0]]
            label = PASS_LABEL.get(k[1], k[1])
            in_step = k[1] in ("fwd", "bwd", "zero_grad", "sgd-momentum")
            line = f"{k[0]:<13} {label:<9} {first[1]:7.2f}"
            for t in threads:
                ms, gf, mb = agg[k][t]
                gfs = gf / ms * 1e3 if ms > 0 else 0.0
                gbs = mb / ms if ms > 0 and mb > 0 else None
                share = f"{100 * ms / total[t]:5.1f}" if in_step and total[t] else f"{'':>5}"
                line += (f" | {ms:8.1f} {gfs:7.1f} {100 * gfs / peak(t):4.0f} "
                         f"{fmt(gbs, 5, 1) if gbs is not None else '':>5} {share}")
            print(line)
        print("-" * len(head))
        gf_conv = sum(agg[k][threads[0]][1] for k in agg if k[0].startswith("conv") and k[1] in ("fwd", "bwd"))
        line = f"{'sum of ops':<13} {'step':<9} {gf_conv:7.2f}"
        for t in threads:
            line += f" | {total[t]:8.1f} {gf_conv / total[t] * 1e3:7.1f} {1e5 * gf_conv / total[t] / peak(t):4.0f} {'':>5} {'':>5}"
        print(line)
        meas = steps.get((model, "sgd-momentum"), {}).get("warmstart", {})
        line = f"{'measured step':<13} {'sgd-mom':<9} {'':>7}"
        for t in threads:
            if t in meas:
                ms = best(meas[t])
                line += f" | {ms:8.1f} {gf_conv / ms * 1e3:7.1f} {1e5 * gf_conv / ms / peak(t):4.0f} {'':>5} {'':>5}"
            else:
                line += f" | {'-':>8} {'':>7} {'':>4} {'':>5} {'':>5}"
        print(line)
        print()
    if models:
        print("Rows: conv3x3_stem = conv1 (input channels -> w; its backward computes dW only), conv3x3 = stride-1")
        print("3x3 convs of the blocks, conv3x3_s2 = the first conv of layers 2-4, conv1x1_s2 = their shortcut")
        print("convs; 'bwd' = dW + dX in one call, 'bwd dW' = dW alone (din NULL), 'bwd dX' = the difference;")
        print("'fwd eval' (BN in eval mode), 'bwd dW', 'bwd dX' and 'adam' are not counted in 'sum of ops'.")
        print("The step rows' GFLOP/s: all convolution flops of the step / step time.")


def main():
    steps, order, ops = parse(sys.argv[1])
    step_tables(steps, order)
    layer_tables(ops, steps)


if __name__ == "__main__":
    main()
