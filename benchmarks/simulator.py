"""How many REST requests per second the simulator serves on loopback, rate limit off.

Starts `alpaca-tui sim` as its own process, then drives it from this process with an
aiohttp client over keep-alive connections: a mix of the calls a trading app makes
(account, positions, open orders, clock, latest quotes). Both share the machine's cores,
so the figure is a floor. Usage: python benchmarks/sim_throughput.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time

import aiohttp

PATHS = ["/v2/account", "/v2/positions", "/v2/orders?status=open", "/v2/clock",
         "/v2/stocks/quotes/latest?symbols=AAPL,MSFT,SPY"]


def start_simulator() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "sim", "--port", "0", "--rate-limit", "0", "--prices", "static",
         "--portfolio", "sample"],
        stdout=subprocess.PIPE, text=True,
    )
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"simulator did not start: {line!r}")
    return proc, line.removeprefix("listening on ")


async def load(url: str, seconds: float, connections: int) -> tuple[int, int, list[float]]:
    ok = failed = 0
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    headers = {"APCA-API-KEY-ID": "bench", "APCA-API-SECRET-KEY": "bench"}
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    proc, url = start_simulator()
    try:
        asyncio.run(load(url, 1.0, args.connections))  # warm up
        ok, failed, latencies = asyncio.run(load(url, args.seconds, args.connections))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    latencies.sort()
    result = {
        "requests_per_second": round(ok / args.seconds),
        "failed": failed,
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
        "connections": args.connections,
        "seconds": args.seconds,
        "cores": os.cpu_count(),
    }
    print(json.dumps(result))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
