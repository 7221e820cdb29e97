#!/usr/bin/env python3
"""Interleaved load comparison: several steward binaries and python3 json.load, same loop.

Usage: compare_load.py MANIFEST STEWARD_BIN [STEWARD_BIN ...]
Each round runs every command once, in turn (one warm-up first); wall time and peak RSS come
from wait4, as in benches/core.rs. Prints medians of 9 rounds and the ratio to Python. Used to
compare the binaries of two commits in the same run on a noisy machine (BENCHMARKS.md).
"""
import os, sys, time, statistics, subprocess

if len(sys.argv) < 3:
    sys.exit(__doc__)
F = sys.argv[1]; bins = sys.argv[2:]; rounds = 9
cmds = {b: [b, "lineage", "stats", "--json", "--manifest", F] for b in bins}
cmds["python"] = ["python3", "-c", f"import json; json.load(open({F!r}))"]
def run(c):
    t = time.perf_counter()
    p = subprocess.Popen(c, stdout=subprocess.DEVNULL)
    _, st, ru = os.wait4(p.pid, 0)
    w = time.perf_counter() - t
    assert st == 0
    return w, ru.ru_maxrss / 1024
res = {k: [] for k in cmds}
for k in cmds: run(cmds[k])
for _ in range(rounds):
    for k in cmds: res[k].append(run(cmds[k]))
pt = statistics.median(w for w, _ in res["python"]); pm = statistics.median(m for _, m in res["python"])
for k, v in res.items():
    t = statistics.median(w for w, _ in v); m = statistics.median(x for _, x in v); best = min(w for w, _ in v)
    print(f"{k}: median {t*1e3:.0f} ms (best {best*1e3:.0f}), RSS {m:.0f} MB; speedup {pt/t:.2f}x, mem {m/pm:.2f}x")
