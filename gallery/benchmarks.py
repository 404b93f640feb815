"""Timing helpers shared by the families' `bench` commands."""

import statistics
import time


def median_seconds(function, repeats):
    """Median wall time of `function()` over `repeats` runs, after one warm-up run."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def print_table(title, results):
    print(f"{'benchmark (' + title + ')':60s} value")
    for name, value in results.items():
        print(f"{name:60s} {value:10.4f}" if abs(value) < 1 else f"{name:60s} {value:10.2f}")
