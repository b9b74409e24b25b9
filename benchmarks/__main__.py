"""Run every benchmark, print a table and write JSON: `python -m benchmarks` (or `make bench`).

  python -m benchmarks [--quick] [--long] [--only NAME ...] [--json PATH]

Each benchmark starts its own simulator and app processes and measures them from
outside (pseudo-terminal output rendered by a terminal emulator, a loopback proxy, /proc),
one after another so they do not share the machine's cores.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import sys
import time

SUITE = ("startup", "fill_latency", "request_budget", "scale", "terminal_output", "market_data", "order_history",
         "simulator")


def machine() -> dict:
    return {"cores": os.cpu_count(), "python": platform.python_version(),
            "implementation": platform.python_implementation(), "system": platform.platform(terse=True)}


def verdict(met: bool | None) -> str:
    return "—" if met is None else "met" if met else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter windows and fewer runs (a smoke test)")
    parser.add_argument("--long", action="store_true",
                        help="market_data's memory growth over the full 30 minutes (same as BENCH_LONG=1)")
    parser.add_argument("--only", nargs="+", choices=SUITE, metavar="NAME", help=f"some of: {', '.join(SUITE)}")
    parser.add_argument("--json", default="benchmarks/results.json", help="where to write the results")
    args = parser.parse_args(argv)

    if args.long:
        os.environ["BENCH_LONG"] = "1"
    started = time.monotonic()
    results, failures = [], {}
    for name in args.only or SUITE:
        print(f"… {name}", file=sys.stderr, flush=True)
        began = time.monotonic()
        try:
            found = importlib.import_module(f"benchmarks.{name}").run(quick=args.quick)
        except Exception as err:  # one broken benchmark must not hide the others' figures
            failures[name] = f"{type(err).__name__}: {err}"
            print(f"  {name} failed: {failures[name]}", file=sys.stderr)
            continue
        results += [(name, result) for result in found]
        print(f"  {name}: {time.monotonic() - began:.0f} s", file=sys.stderr)

    width = max((len(r.name) for _, r in results), default=10)
    print(f"{'benchmark':<{width}}  {'value':>10}  {'unit':<7}  {'target':>8}  verdict")
    for _, r in results:
        target = "" if r.target is None else f"{'≥' if r.higher_is_better else '≤'}{r.target:g}"
        print(f"{r.name:<{width}}  {r.value:>10g}  {r.unit:<7}  {target:>8}  {verdict(r.met)}")
    for name, why in failures.items():
        print(f"{name}: FAILED ({why})")
    elapsed = time.monotonic() - started
    print(f"\n{len(results)} figures in {elapsed:.0f} s on {machine()['cores']} cores")

    report = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"), "machine": machine(),
              "quick": args.quick, "seconds": round(elapsed, 1),
              "results": [{"benchmark": name, **r.as_json()} for name, r in results], "failures": failures}
    with open(args.json, "w") as out:
        json.dump(report, out, indent=2)
        out.write("\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
