"""Timing helper shared by the benchmarks: warm up, run, print p50/p95."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def measure(name: str, fn: Callable[[], object], runs: int) -> float:
    """Print the median and 95th percentile of ``runs`` calls (after 5 warm-ups); return p95."""
    for _ in range(5):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p50 = statistics.median(samples)
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"  {name:<52} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms")
    return p95
