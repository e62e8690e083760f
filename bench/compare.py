"""Side-by-side benchmark of soma against PyTorch on this machine: runs every workload in soma and in
PyTorch (1 and 2 threads) alternately, REPS times, each run in a fresh process on identical data, and
prints the medians and the soma/PyTorch ratios. PyTorch is credited with its faster thread setting.

Usage: /usr/bin/python3 bench/compare.py [--reps N] [--workloads mlp,small,binary,cnn,lstm,transformer,mobilenet] [--soma-flags "..."]
                                       [--no-bf16] [--before PATH/TO/OLD/bench_workload]
--before runs a second soma build (e.g. main before a change, built with the bench preset in a git worktree)
in the same alternation, so a change on a hot path reports its ratios before and after from one run.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SOMA = os.path.join(ROOT, "build", "bench", "bench", "bench_workload")
TORCH = [sys.executable, os.path.join(HERE, "torch_workload.py")]
METRICS = ("train_sps", "infer_sps", "peak_rss_mb", "test_acc")


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("WORKLOAD "))
    fields = dict(kv.split("=", 1) for kv in line.split()[1:])
    return {k: float(fields[k]) for k in METRICS}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--workloads", default="mlp,small,binary,cnn,lstm")
    ap.add_argument("--soma-flags", default="", help="extra flags for bench_workload, e.g. --bf16")
    ap.add_argument("--json", default=os.path.join(ROOT, "build", "bench", "results.json"))
    ap.add_argument("--no-bf16", action="store_true", help="skip the mixed_bfloat16 runs")
    ap.add_argument("--before", default="", help="an older bench_workload binary to run alongside")
    args = ap.parse_args()

    impls = {"soma": lambda w: [SOMA, "--workload", w] + args.soma_flags.split()}
    if not args.no_bf16:
        impls["soma_bf16"] = lambda w: [SOMA, "--workload", w, "--bf16"] + args.soma_flags.split()
    if args.before:
        impls["soma_before"] = lambda w: [args.before, "--workload", w] + args.soma_flags.split()
    impls["torch1"] = lambda w: TORCH + [w, "1"]
    impls["torch2"] = lambda w: TORCH + [w, "2"]
    results = {}
    for rep in range(args.reps):
        for w in args.workloads.split(","):
            for impl, cmd in impls.items():
                r = run(cmd(w))
                results.setdefault(w, {}).setdefault(impl, []).append(r)
                print(f"rep {rep + 1}/{args.reps} {w:7s} {impl:7s} " + " ".join(f"{k}={r[k]:g}" for k in METRICS),
                      flush=True)

    med = {w: {impl: {k: statistics.median(r[k] for r in runs) for k in METRICS} for impl, runs in per.items()}
           for w, per in results.items()}
    print()
    print(f"{'workload':12s} {'soma train/s':>10s} {'torch train/s':>14s} {'ratio':>6s} {'soma infer/s':>13s} "
          f"{'torch infer/s':>14s} {'ratio':>6s} {'soma MB':>8s} {'torch MB':>9s} {'ratio':>6s}  torch threads")
    lines = []
    for w, m in med.items():
        best = max(("torch1", "torch2"), key=lambda t: m[t]["train_sps"])
        for soma in [i for i in ("soma", "soma_bf16", "soma_before") if i in m]:
            label = w if soma == "soma" else w + soma[4:]
            s, t = m[soma], m[best]
            tr, ir = s["train_sps"] / t["train_sps"], s["infer_sps"] / t["infer_sps"]
            mr = s["peak_rss_mb"] / t["peak_rss_mb"]
            print(f"{label:12s} {s['train_sps']:10.0f} {t['train_sps']:14.0f} {tr:6.2f} {s['infer_sps']:13.0f} "
                  f"{t['infer_sps']:14.0f} {ir:6.2f} {s['peak_rss_mb']:8.0f} {t['peak_rss_mb']:9.0f} {mr:6.2f}  "
                  f"{best[-1]}")
            lines.append(f"BENCH workload={label} soma_train_sps={s['train_sps']:.0f} "
                         f"torch_train_sps={t['train_sps']:.0f} train_ratio={tr:.2f} "
                         f"soma_infer_sps={s['infer_sps']:.0f} torch_infer_sps={t['infer_sps']:.0f} "
                         f"infer_ratio={ir:.2f} soma_rss_mb={s['peak_rss_mb']:.0f} "
                         f"torch_rss_mb={t['peak_rss_mb']:.0f} rss_ratio={mr:.2f} soma_acc={s['test_acc']:.4f} "
                         f"torch_acc={t['test_acc']:.4f}")
    print()
    print("\n".join(lines))
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"runs": results, "medians": med}, f, indent=1)


if __name__ == "__main__":
    main()
