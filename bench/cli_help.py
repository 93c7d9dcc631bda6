"""How long `tmr --help` takes, next to a bare `python -c pass` measured in the same run
(hyperfine-like: warm-up, N runs each, median and spread). The difference is what the entry
module costs; the issue asks for under 0.5 s in all.

    uv run python bench/cli_help.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

TMR = str(Path(sys.executable).with_name("tmr"))


def _times(command: list[str], runs: int) -> list[float]:
    subprocess.run(command, check=True, capture_output=True)  # warm-up: the page cache
    measured = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        measured.append(time.perf_counter() - started)
    return measured


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    rows = {
        "python -c pass": _times([sys.executable, "-c", "pass"], runs),
        "tmr --help": _times([TMR, "--help"], runs),
        "tmr --version": _times([TMR, "--version"], runs),
    }
    baseline = statistics.median(rows["python -c pass"])
    print(f"{'command':<16} {'median':>9} {'min':>9} {'max':>9} {'x python':>9}  ({runs} runs)")
    for name, times in rows.items():
        median = statistics.median(times)
        print(
            f"{name:<16} {median * 1000:>7.0f}ms {min(times) * 1000:>7.0f}ms "
            f"{max(times) * 1000:>7.0f}ms {median / baseline:>8.1f}x"
        )


if __name__ == "__main__":
    main()
