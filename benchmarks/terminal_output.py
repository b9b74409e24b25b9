"""Terminal output: bytes the app writes per minute at 120x40 while prices move, the cost
on a thin SSH link. Target: <= 30 KB/min."""

from __future__ import annotations

import sys

from benchmarks.common import Result, SimulatorProcess, app_against


def run(quick: bool = False) -> list[Result]:
    window = 20 if quick else 60
    with SimulatorProcess("--portfolio", "sample") as sim, app_against(sim.url, columns=120, lines=40) as terminal:
        if terminal.shows("Positions (6)", "Orders (3)", "stream", timeout=20) is None:
            raise RuntimeError(f"the app did not come up:\n{terminal.text()}")
        terminal.idle(5)  # start-up paints the whole screen; that is not the steady cost
        before = terminal.bytes_written
        terminal.idle(window)
        written = terminal.bytes_written - before
    per_minute = written / window * 60 / 1024
    return [Result("terminal output at 120x40", round(per_minute, 1), "KB/min", target=30,
                   note="sample portfolio, prices moving (simulator's random walk)",
                   extra={"window_s": window, "bytes": written})]


if __name__ == "__main__":
    for result in run(quick="--quick" in sys.argv):
        print(result)
