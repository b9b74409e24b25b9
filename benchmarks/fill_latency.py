"""Fill to screen: another client's market order fills on the simulator; how long until
the position's new quantity shows in the app's terminal. Targets: p50 <= 150 ms,
p95 <= 300 ms.

The latency runs from the fill's own timestamp (the order's filled_at, the simulator's
wall clock: the same machine's) to the moment the rendered screen shows the row, read
from the pseudo-terminal. The order is sent from a thread so that reading the terminal
never pauses for it.
"""

from __future__ import annotations

import re
import sys
import threading
import time

from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import MarketOrderRequest

from benchmarks.common import Result, SimulatorProcess, app_against, median, percentile

SYMBOL = "INTC"  # not in the sample portfolio: its row is the benchmark's alone


def run(quick: bool = False) -> list[Result]:
    fills = 10 if quick else 40
    latencies: list[float] = []
    with SimulatorProcess("--portfolio", "sample") as sim, app_against(sim.url, columns=120, lines=40) as terminal:
        if terminal.shows("Positions (6)", "Orders (3)", "stream", timeout=20) is None:
            raise RuntimeError(f"the app did not come up:\n{terminal.text()}")
        terminal.idle(3)  # past start-up's own refreshes
        # Its own key: the simulator counts requests per key, as Alpaca does per key, and
        # this client's 80 requests must not eat the app's budget (the app would then
        # rightly hold its refreshes back).
        client = TradingClient("other-client", "other-secret", url_override=sim.url)
        for held in range(1, fills + 1):
            sent: list = []
            sender = threading.Thread(target=lambda: sent.append(client.submit_order(MarketOrderRequest(
                symbol=SYMBOL, qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY))))
            sender.start()
            row = re.compile(rf"{SYMBOL}\s+long\s+{held}\s")
            if terminal.wait_for(lambda text: bool(row.search(text)), timeout=10) is None:
                raise RuntimeError(f"{SYMBOL} {held} never showed:\n{terminal.text()}")
            seen = time.time()
            sender.join()
            order = client.get_order_by_id(sent[0].id)
            if order.filled_at is None:
                raise RuntimeError(f"the row showed but the order is {order.status}")
            latencies.append((seen - order.filled_at.timestamp()) * 1000)
            terminal.idle(0.5)  # let the refreshes this fill set off finish, as between real fills
    extra = {"fills": fills, "min_ms": round(min(latencies), 1), "max_ms": round(max(latencies), 1)}
    return [
        Result("fill to screen p50", round(median(latencies), 1), "ms", target=150, extra=extra),
        Result("fill to screen p95", round(percentile(latencies, 95), 1), "ms", target=300, extra=extra),
    ]


if __name__ == "__main__":
    for result in run(quick="--quick" in sys.argv):
        print(result)
