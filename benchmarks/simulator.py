"""Simulator: REST requests per second (target >= 1,000) and order-submit latency p99 at
a fixed 200 requests/s (target <= 20 ms).

Both are measured from outside: `alpaca-tui sim` runs as its own process (rate limit
off) and this process drives it over loopback with an aiohttp client on keep-alive
connections. Client and simulator share the machine's cores, so the figures are floors.

Throughput: several connections each send the next request as soon as the last answer
came, mixing the calls a trading app makes (account, positions, open orders, clock,
latest quotes) against the sample portfolio.

Order latency: an open-loop generator schedules POST /v2/orders at fixed times, 200 a
second, and sends each on time whether or not earlier ones were answered (waiting would
be coordinated omission: a slow answer would delay the next send and hide its own
queueing). Each latency runs from the scheduled send time to the full answer. Orders are
1-share buys, alternately market orders (they fill ~20 ms later: the fill path, positions,
activities, stream events) and limit orders at half the bid (they rest, so the open book
grows through the run, as does the work of every buying-power check and engine tick).

Usage: python -m benchmarks.simulator [--seconds 10] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from decimal import ROUND_DOWN, Decimal
from typing import Any, Callable

import aiohttp

from benchmarks.common import Result, SimulatorProcess, median, percentile

HEADERS = {"APCA-API-KEY-ID": "bench", "APCA-API-SECRET-KEY": "bench"}
PATHS = ["/v2/account", "/v2/positions", "/v2/orders?status=open", "/v2/clock",
         "/v2/stocks/quotes/latest?symbols=AAPL,MSFT,SPY"]
CONNECTIONS = 16
ORDER_RATE = 200.0  # requests per second, open loop
# Plain universe stocks under $150 that the sample portfolio neither holds nor has orders
# on, so no order meets a position rule or a wash-trade check.
ORDER_SYMBOLS = ["F", "SOFI", "INTC", "BAC", "KO", "UBER", "TLT", "NFLX", "WMT", "XOM"]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# ---- throughput ----------------------------------------------------------------------

async def closed_loop(url: str, seconds: float, connections: int) -> tuple[int, int, list[float]]:
    """Each of `connections` workers sends its next GET as soon as the last one is answered."""
    ok = failed = 0
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, headers=HEADERS) as session:
        async def worker(n: int) -> None:
            nonlocal ok, failed
            i = n
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with session.get(url + PATHS[i % len(PATHS)]) as response:
                    await response.read()
                    if response.status == 200:
                        ok += 1
                    else:
                        failed += 1
                latencies.append(time.perf_counter() - started)
                i += 1

        await asyncio.gather(*(worker(n) for n in range(connections)))
    return ok, failed, latencies


def throughput(seconds: float, connections: int = CONNECTIONS) -> Result:
    with SimulatorProcess("--rate-limit", "0", "--prices", "static", "--portfolio", "sample") as sim:
        asyncio.run(closed_loop(sim.url, 1.0, connections))  # warm up
        ok, failed, latencies = asyncio.run(closed_loop(sim.url, seconds, connections))
    extra = {"p50_ms": _ms(median(latencies)), "p99_ms": _ms(percentile(latencies, 99)), "ok": ok,
             "failed": failed, "connections": connections, "seconds": seconds, "cores": os.cpu_count()}
    note = f"{connections} keep-alive connections, closed loop; mix: {', '.join(PATHS)}"
    if failed:
        note += f"; {failed} non-200 answers (not counted)"
    return Result("simulator REST throughput", round(ok / seconds), "req/s", target=1000,
                  higher_is_better=True, note=note, extra=extra)


# ---- order submit latency, open loop -------------------------------------------------

async def open_loop(session: aiohttp.ClientSession, rate: float, seconds: float,
                    request: Callable[[aiohttp.ClientSession, int], Any]) -> list[tuple[float, int | None]]:
    """Send `request(session, i)` at start + i / rate for i < rate * seconds, never waiting for
    answers; returns (latency from the scheduled time, HTTP status or None on failure)."""
    loop = asyncio.get_running_loop()
    count = int(rate * seconds)
    results: list[tuple[float, int | None]] = [(0.0, None)] * count

    async def one(i: int, scheduled: float) -> None:
        try:
            async with request(session, i) as response:
                await response.read()
                status: int | None = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError):
            status = None
        results[i] = (loop.time() - scheduled, status)

    tasks = []
    start = loop.time() + 0.05
    for i in range(count):
        scheduled = start + i / rate
        if (wait := scheduled - loop.time()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(i, scheduled)))
    await asyncio.gather(*tasks)
    return results


def order_body(i: int, run_id: str, bids: dict[str, Decimal]) -> dict:
    symbol = ORDER_SYMBOLS[(i // 2) % len(ORDER_SYMBOLS)]
    body = {"symbol": symbol, "qty": "1", "side": "buy", "client_order_id": f"bench-{run_id}-{i}"}
    if i % 2 == 0:
        return {**body, "type": "market", "time_in_force": "day"}
    limit = (bids[symbol] / 2).quantize(Decimal("0.01"), ROUND_DOWN)  # far under the market: it rests
    return {**body, "type": "limit", "time_in_force": "gtc", "limit_price": str(limit)}


async def order_load(url: str, seconds: float, rate: float) -> list[tuple[float, int | None]]:
    run_id = uuid.uuid4().hex[:12]
    # No pool limit: a request due while all connections are busy opens another instead of
    # queueing in the client; the timeout only stops a hung run.
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, headers=HEADERS, timeout=timeout) as session:
        async with session.get(f"{url}/v2/stocks/quotes/latest?symbols={','.join(ORDER_SYMBOLS)}") as response:
            quotes = (await response.json())["quotes"]
        bids = {symbol: Decimal(str(quote["bp"])) for symbol, quote in quotes.items()}
        # Warm up connections and the server with reads at the same rate, then the orders.
        await open_loop(session, rate, 1.0, lambda s, i: s.get(url + "/v2/account"))
        return await open_loop(session, rate, seconds,
                               lambda s, i: s.post(url + "/v2/orders", json=order_body(i, run_id, bids)))


def order_latency(seconds: float, rate: float = ORDER_RATE) -> Result:
    # Cash for every order of the run (each under $150 a share): a long run must not end
    # in 403 "insufficient buying power" and measure rejections instead.
    cash = max(100_000, int(rate * seconds * 150))
    with SimulatorProcess("--rate-limit", "0", "--portfolio", "sample", "--cash", str(cash)) as sim:
        results = asyncio.run(order_load(sim.url, seconds, rate))
    latencies = [latency for latency, _ in results]
    errors = [status for _, status in results if status is None or not 200 <= status < 300]
    extra = {"p50_ms": _ms(median(latencies)), "max_ms": _ms(max(latencies)), "count": len(results),
             "errors": len(errors), "rate_per_s": rate, "seconds": seconds, "cores": os.cpu_count()}
    note = ("open loop, latency from each scheduled send; 1-share buys with unique client_order_ids, "
            "half market orders (they fill: what an app user mostly sends) and half limit orders at "
            f"half the bid (they rest: the heavier case, the open book grows to ~{len(results) // 2} "
            f"orders that every later submit and engine tick must consider); cash {cash:,}")
    if errors:
        kinds = sorted({str(s) if s is not None else "no answer" for s in errors})
        note += f"; {len(errors)} errors ({', '.join(kinds)})"
    return Result(f"order submit p99 at {rate:g} req/s", _ms(percentile(latencies, 99)), "ms", target=20,
                  note=note, extra=extra)


def run(quick: bool = False, seconds: float | None = None) -> list[Result]:
    seconds = seconds or (3.0 if quick else 10.0)
    return [throughput(seconds), order_latency(seconds)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, help="length of each load (default 10, quick 3)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for result in run(quick=args.quick, seconds=args.seconds):
        print(result)
    sys.exit(0)
