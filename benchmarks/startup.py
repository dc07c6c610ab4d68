"""Time `mbf --help` against a bare interpreter start (the floor), over several runs."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def _time(command: list[str], runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        timings.append(time.perf_counter() - start)
    return timings


def main(runs: int = 15) -> None:
    floor = _time([sys.executable, "-c", "pass"], runs)
    help_ = _time([sys.executable, "-m", "mbf", "--help"], runs)
    for name, values in (("python -c pass", floor), ("mbf --help", help_)):
        print(
            f"{name:16} min {min(values) * 1000:6.1f} ms  median {statistics.median(values) * 1000:6.1f} ms"
        )
    print(f"ratio (median): {statistics.median(help_) / statistics.median(floor):.1f}x")


if __name__ == "__main__":
    main()
