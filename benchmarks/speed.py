"""Speed of softmaxlab's accurate functions against the plain shifted softmax.

Run with ``make bench`` or ``.venv/bin/python benchmarks/speed.py``. For
float64 and float32 logits of shape (10^6,) and (1000, 1000), times
``softmax_shifted`` (the baseline: subtract the max, exponentiate, divide) and
softmaxlab's ``softmax``, ``log_softmax`` and ``logsumexp`` in one run,
interleaved (one call of each in turn, ``--repeats`` rounds), and prints the
best time of each and its ratio to the baseline's best. The goal is a ratio of
at most 1.5. Best-of-n timings are what a quiet machine gives; on a shared
machine they are still noisy, so compare ratios from one run only;
``--cpu-time`` times with the process's CPU time instead of the wall clock
(time spent descheduled by other processes' load is then not counted).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import softmaxlab as sl

FUNCS = {
    "softmax_shifted": sl.softmax_shifted,
    "softmax": sl.softmax,
    "log_softmax": sl.log_softmax,
    "logsumexp": sl.logsumexp,
}
SHAPES = {"L = 10^6": (10**6,), "1000 x 1000": (1000, 1000)}


def best_times(z: np.ndarray, repeats: int, clock=time.perf_counter) -> dict[str, float]:
    best = {name: np.inf for name in FUNCS}
    for f in FUNCS.values():
        f(z)  # warm up
    for _ in range(repeats):
        for name, f in FUNCS.items():
            t0 = clock()
            f(z)
            best[name] = min(best[name], clock() - t0)
    return best


def load() -> str:
    """The machine's load averages: timings on a shared machine mean little without them."""
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="interleaved rounds (default 15)")
    parser.add_argument(
        "--cpu-time", action="store_true", help="time with process CPU time, not the wall clock"
    )
    args = parser.parse_args()
    clock = time.process_time if args.cpu_time else time.perf_counter
    kind = "CPU time" if args.cpu_time else "wall clock"
    print(
        f"best of {args.repeats} interleaved runs ({kind}); ratio = time / time of softmax_shifted"
    )
    print(f"load average (1, 5, 15 min) at the start: {load()}")
    print(f"{'dtype':<8}{'shape':<13}" + "".join(f"{name:>22}" for name in FUNCS))
    worst = 0.0
    for dtype in (np.float64, np.float32):
        for label, shape in SHAPES.items():
            z = sl.hard_logits(
                "long vectors", dtype, rows=1, length=int(np.prod(shape)), seed=2026
            ).reshape(shape)
            best = best_times(z, args.repeats, clock)
            base = best["softmax_shifted"]
            cells = [f"{base * 1e3:.2f} ms"]
            for name in list(FUNCS)[1:]:
                ratio = best[name] / base
                worst = max(worst, ratio)
                cells.append(f"{best[name] * 1e3:.2f} ms ({ratio:.2f}x)")
            print(f"{np.dtype(dtype).name:<8}{label:<13}" + "".join(f"{c:>22}" for c in cells))
    print(f"load average at the end: {load()}")
    print(f"worst ratio: {worst:.2f} (goal: at most 1.5)")


if __name__ == "__main__":
    main()
