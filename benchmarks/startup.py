"""Start-up, demo mode, through a pseudo-terminal: process start -> first paint, and ->
all four panes showing data; and the floor, the bare imports every Textual + alpaca-py
app pays. Targets: data within 1.5 s and within 1.6 x the floor."""

from __future__ import annotations

import subprocess
import sys
import time

from benchmarks.common import APP, Result, Terminal, median

# What the demo's panes show once each has data (sample portfolio).
FOUR_PANES = ("Equity", "Positions (6)", "Orders (3)", "NY")


def floor_seconds() -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "import textual.app, alpaca.trading.client"], check=True)
    return time.monotonic() - started


def one_start() -> tuple[float, float]:
    """(first paint, all four panes) in seconds from process start."""
    with Terminal([*APP, "--demo"]) as terminal:
        if terminal.wait_for(lambda text: "DEMO" in text, timeout=20) is None:
            raise RuntimeError("the demo never painted")
        first = time.monotonic() - terminal.started
        if terminal.shows(*FOUR_PANES, timeout=20) is None:
            raise RuntimeError(f"the demo did not show its panes:\n{terminal.text()}")
        return first, time.monotonic() - terminal.started


def run(quick: bool = False) -> list[Result]:
    runs = 3 if quick else 9
    firsts, fulls, floors = [], [], []
    for _ in range(runs):  # interleaved, so a busy moment of the machine hits both alike
        floors.append(floor_seconds())
        first, full = one_start()
        firsts.append(first)
        fulls.append(full)
    floor = median(floors)
    full = median(fulls)
    spread = {"runs": runs, "min": round(min(fulls), 3), "max": round(max(fulls), 3)}
    return [
        Result("start-up: first paint", round(median(firsts), 3), "s", extra={"runs": runs}),
        Result("start-up: four panes with data", round(full, 3), "s", target=1.5, extra=spread),
        Result("start-up: floor (imports only)", round(floor, 3), "s",
               extra={"min": round(min(floors), 3), "max": round(max(floors), 3)}),
        Result("start-up: panes / floor", round(full / floor, 2), "x", target=1.6),
    ]


if __name__ == "__main__":
    for result in run(quick="--quick" in sys.argv):
        print(result)
