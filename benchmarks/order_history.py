"""Order history: the Orders pane's closed view over 10,000 closed orders (simulator
`--closed-orders 10000` on the sample portfolio, prices static), the app at 120x40.

- First page: from `f` (Orders focused, open -> closed) until the title says
  `closed (500+)` and the first row is drawn. Target <= 1 s.
- Scrolling: `G` then `j` presses while pages keep coming in, until all 10,000 are loaded
  (each `G` at the end of what is loaded reads the next page), and `j`/`k` with every row
  loaded; each key until the cursor's row shows another order. Target p95 <= 100 ms.
- Peak RSS (VmHWM) with every page loaded. Target <= 250 MB.
"""

from __future__ import annotations

import re
import sys
import time

from benchmarks.common import Result, SimulatorProcess, Terminal, app_against, median, percentile
from benchmarks.scale import peak_rss_mb

CLOSED = 10_000
TITLE = re.compile(r"closed \(([\d,]+)(\+?)\)")
ROW = re.compile(r"\d\d-\d\d \d\d:\d\d +\S+ +(BUY|SELL)")


def loaded(terminal: Terminal) -> tuple[int, bool] | None:
    match = TITLE.search(terminal.text())
    return (int(match.group(1).replace(",", "")), match.group(2) == "+") if match else None


def cursor_line(terminal: Terminal, colour: str) -> str | None:
    """The text of the row drawn in the cursor's colour (the highlighted order)."""
    for y in range(terminal.screen.lines):
        line = terminal.screen.buffer[y]
        if line[3].bg == colour and line[30].bg == colour:
            return terminal.screen.display[y]
    return None


def timed_key(terminal: Terminal, key: str, colour: str) -> float:
    before = cursor_line(terminal, colour)
    sent = time.monotonic()
    terminal.send(key)
    if terminal.wait_for(lambda _: cursor_line(terminal, colour) not in (before, None), timeout=10) is None:
        raise RuntimeError(f"{key!r} moved nothing:\n{terminal.text()}")
    return (time.monotonic() - sent) * 1000


def run(quick: bool = False) -> list[Result]:
    total = 2_000 if quick else CLOSED
    with SimulatorProcess("--portfolio", "sample", "--prices", "static", "--closed-orders", str(total),
                          "--rate-limit", "0") as sim, app_against(sim.url, columns=120, lines=40) as terminal:
        if terminal.shows("Positions (6)", "Orders (3)", timeout=30) is None:
            raise RuntimeError(f"the app did not come up:\n{terminal.text()}")
        terminal.idle(2)
        terminal.send("3")
        terminal.settle()
        sent = time.monotonic()
        terminal.send("f")
        first = terminal.wait_for(lambda text: (loaded(terminal) or (0, False))[0] >= 500 and ROW.search(text)
                                  is not None, timeout=30)
        if first is None:
            raise RuntimeError(f"the first page never showed:\n{terminal.text()}")
        first_page = time.monotonic() - sent
        terminal.settle()
        colour = next((terminal.screen.buffer[y][3].bg for y in range(terminal.screen.lines)
                       if ROW.search(terminal.screen.display[y])), None)
        if colour is None:
            raise RuntimeError("no highlighted row")

        latencies: list[float] = []
        while True:  # to the end of what is loaded, then a few rows on as the next page comes
            count, more = loaded(terminal) or (0, False)
            latencies.append(timed_key(terminal, "G", colour))
            if not more:
                break
            if terminal.wait_for(lambda _: (loaded(terminal) or (0, False))[0] > count, timeout=30) is None:
                raise RuntimeError(f"no page after {count}:\n{terminal.text()}")
            for _ in range(5 if quick else 10):
                latencies.append(timed_key(terminal, "j", colour))
                terminal.idle(0.02)
        shown = loaded(terminal)
        for n in range(40 if quick else 200):  # every row loaded
            latencies.append(timed_key(terminal, "k" if n % 2 == 0 else "j", colour))
            terminal.idle(0.02)
        rss = peak_rss_mb(terminal.pid)
    note = f"{shown[0]:,} closed orders loaded" if shown else "count not read"
    return [
        Result(f"order history: first page of {total:,} closed orders", round(first_page, 2), "s", target=1,
               note=note),
        Result("order history: key to screen p95 while paging", round(percentile(latencies, 95), 1), "ms",
               target=100, extra={"keys": len(latencies), "p50_ms": round(median(latencies), 1),
                                  "max_ms": round(max(latencies), 1)}),
        Result("order history: peak RSS, every page loaded", round(rss, 1), "MB", target=250, note=note),
    ]


if __name__ == "__main__":
    for result in run(quick="--quick" in sys.argv):
        print(result)
