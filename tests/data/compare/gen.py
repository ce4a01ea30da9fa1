#!/usr/bin/env python3
"""Regenerate the fixtures of tests/unit/test_compare.c and tests/integration/compare_cli.sh.
Deterministic (fixed seed); run from this directory: python3 gen.py"""
import random

HEAD = ("ts,plan,vcpus,cpu_threads,io_threads,async,concurrency,duration_sec,run_idx,qps,"
        "p50_us,p90_us,p99_us,max_us,ru_maxrss,exit_code,timeout_killed,mean_us,errors,ops,"
        "little_ratio,fairness")


def write(name, levels, runs, seed, cv=0.01, scale=None, errors=0.0, fairness=0.95):
    """levels: {concurrency: qps}; scale: {concurrency: factor} applied to qps."""
    rng = random.Random(seed)
    rows = [HEAD]
    for c, q in sorted(levels.items()):
        for r in range(runs):
            qps = q * (scale or {}).get(c, 1.0) * (1 + rng.gauss(0, cv))
            mean = c / qps * 1e6
            ops = int(qps * 5)
            err = int(ops * errors)
            rows.append(f"1700000000,cpu,2,2,0,0,{c},5,{r},{qps:.1f},{mean * 0.9:.0f},"
                        f"{mean * 1.5:.0f},{mean * 2.5:.0f},{mean * 5:.0f},10240,0,0,"
                        f"{mean:.1f},{err},{ops},1.000,{fairness}")
    open(name, "w").write("\n".join(rows) + "\n")


LEVELS = {1: 1000, 2: 2000, 4: 3900, 8: 7000}
write("base.csv", LEVELS, 5, 1)
write("same.csv", LEVELS, 5, 1)                       # identical samples
write("same_noise.csv", LEVELS, 5, 2)                 # same config, other noise
write("regress.csv", LEVELS, 5, 3, scale={c: 0.8 for c in LEVELS})   # -20% qps
write("improve.csv", LEVELS, 5, 4, scale={c: 1.2 for c in LEVELS})   # +20% qps
write("base3.csv", LEVELS, 3, 5)
write("regress3.csv", LEVELS, 3, 6, scale={c: 0.8 for c in LEVELS})
write("base1.csv", LEVELS, 1, 11)                     # one run: the noise is unknown
write("regress1.csv", LEVELS, 1, 12, scale={c: 0.8 for c in LEVELS})
write("noisy_base.csv", LEVELS, 5, 7, cv=0.10)
write("noisy_shift.csv", LEVELS, 5, 8, cv=0.10, scale={c: 0.97 for c in LEVELS})
write("errors.csv", LEVELS, 5, 1, errors=0.02)        # 2% of operations fail
write("unfair.csv", LEVELS, 5, 1, fairness=0.5)
KNEE = {1: 1000, 2: 2000, 4: 4000, 8: 8000, 16: 16000, 32: 30000, 64: 31000}
write("knee_base.csv", KNEE, 5, 9)                    # knee at 32
write("knee_cur.csv", KNEE, 5, 10, scale={16: 0.94, 32: 0.52, 64: 0.5})  # knee at 16
