"""Scale: an account with 1,000 positions and 2,000 open orders (simulator flags
--positions and --open-orders; the orders take four pages of 500).

Figures, all from outside the app:
- time from process start until the titles read `Positions (1000)` and `Orders (2000)`;
- main-thread CPU per full refresh (`r`: every pane, 2,000 orders included), from the
  kernel's count for the app's main thread (/proc/PID/task/PID/stat), less the same
  thread's CPU over an equal idle window (target <= 100 ms);
- key-to-screen latency while refreshing: `j`/`k` move the Positions cursor while `r`
  is pressed every second; the time until the highlighted row has moved on the rendered
  screen (target p95 <= 100 ms);
- peak RSS, the kernel's high-water mark (target <= 250 MB).
"""

from __future__ import annotations

import os
import sys
import time

from benchmarks.common import Result, SimulatorProcess, Terminal, app_against, median, percentile

POSITIONS, ORDERS = 1000, 2000
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def main_thread_cpu(pid: int) -> float:
    """CPU seconds (user + system) the process's main thread has used."""
    with open(f"/proc/{pid}/task/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def cursor_row(terminal: Terminal, colour: str) -> int | None:
    """The screen row the table cursor is on: the one drawn in the cursor's colour."""
    for y in range(terminal.screen.lines):
        line = terminal.screen.buffer[y]
        if line[3].bg == colour and line[20].bg == colour:
            return y
    return None


def refresh_cost(terminal: Terminal, seconds: float) -> tuple[float, int]:
    """Main-thread CPU per `r`, less the idle rate, over two windows of `seconds`."""
    before = main_thread_cpu(terminal.pid)
    terminal.idle(seconds)
    idle = main_thread_cpu(terminal.pid) - before
    presses = int(seconds / 2)
    before = main_thread_cpu(terminal.pid)
    for _ in range(presses):
        terminal.send("r")
        terminal.idle(2)
    busy = main_thread_cpu(terminal.pid) - before
    return max(0.0, busy - idle) / presses, presses


def key_latencies(terminal: Terminal, keys: int) -> list[float]:
    first = None
    for y in range(terminal.screen.lines):  # the cursor is on the first position at start
        if "AAPL" in terminal.screen.display[y]:
            first = y
            break
    if first is None:
        raise RuntimeError("no AAPL row")
    colour = terminal.screen.buffer[first][3].bg
    latencies: list[float] = []
    last_refresh = time.monotonic()
    for n in range(keys):
        if time.monotonic() - last_refresh >= 1.0:
            terminal.send("r")
            last_refresh = time.monotonic()
            terminal.idle(0.05 * (n % 7))  # keys land at different points of the refresh
        down = n % 2 == 0
        target = first + 1 if down else first
        sent = time.monotonic()
        terminal.send("j" if down else "k")
        if terminal.wait_for(lambda _: cursor_row(terminal, colour) == target, timeout=5) is None:
            raise RuntimeError(f"the cursor never reached row {target}")
        latencies.append((time.monotonic() - sent) * 1000)
        terminal.idle(0.1)
    return latencies


def run(quick: bool = False) -> list[Result]:
    with SimulatorProcess("--positions", str(POSITIONS), "--open-orders", str(ORDERS)) as sim, \
            app_against(sim.url, columns=120, lines=40) as terminal:
        if terminal.shows(f"Positions ({POSITIONS})", f"Orders ({ORDERS})", timeout=60) is None:
            raise RuntimeError(f"the titles never showed the counts:\n{terminal.text()}")
        loaded = time.monotonic() - terminal.started
        terminal.idle(3)
        cost, presses = refresh_cost(terminal, 6 if quick else 16)
        latencies = key_latencies(terminal, 30 if quick else 100)
        rss = peak_rss_mb(terminal.pid)
    keys = {"keys": len(latencies), "p50_ms": round(median(latencies), 1), "max_ms": round(max(latencies), 1)}
    return [
        Result(f"scale: titles show {POSITIONS} positions, {ORDERS} orders", round(loaded, 2), "s"),
        Result("scale: main-thread CPU per full refresh", round(cost * 1000, 1), "ms", target=100,
               extra={"refreshes": presses, "clock_tick_ms": 1000 / TICKS_PER_SECOND}),
        Result("scale: key to screen p95 while refreshing", round(percentile(latencies, 95), 1), "ms",
               target=100, extra=keys),
        Result("scale: peak RSS", round(rss, 1), "MB", target=250),
    ]


if __name__ == "__main__":
    for result in run(quick="--quick" in sys.argv):
        print(result)
