"""Command line: `alpaca-tui [--demo | --live]`, `alpaca-tui sim` (the exchange simulator) and
`alpaca-tui export` (positions, orders, fills, activities or realized P&L as CSV or JSON, for scripts)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from decimal import Decimal, InvalidOperation

from . import __version__, gc_pause


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number ≥ 0: {text!r}")
    return value


def _cash(text: str) -> Decimal:
    value = _decimal(text)
    if value > Decimal("1e12"):  # the simulator bounds every figure; beyond this it refuses to start
        raise argparse.ArgumentTypeError(f"must be at most 1e12: {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be ≥ 0: {text!r}")
    return value


def _port(text: str) -> int:
    value = _count(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"not a port (0-65535): {text!r}")
    return value


def _number(text: str, low: float, high: float | None = None, *, above: bool = False) -> float:
    """A finite number from low to high, or above low with above=True (the fault flags)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if high is not None:
        ok, bounds = low <= value <= high, f"from {low:g} to {high:g}"
    elif above:
        ok, bounds = low < value < float("inf"), f"> {low:g}"
    else:
        ok, bounds = low <= value < float("inf"), f"≥ {low:g}"
    if not ok:  # nan fails every comparison
        raise argparse.ArgumentTypeError(f"must be a number {bounds}: {text!r}")
    return value


def _latency(text: str) -> float:
    from .sim.faults import MAX_LATENCY_MS

    return _number(text, 0, MAX_LATENCY_MS)


def _rate(text: str) -> float:
    return _number(text, 0, 1)


def _quote_rate(text: str) -> float:
    from .sim.engine import MAX_QUOTE_RATE

    value = _number(text, 0, MAX_QUOTE_RATE)
    if value == 0:
        raise argparse.ArgumentTypeError(f"must be a number above 0 and at most {MAX_QUOTE_RATE:g}: {text!r}")
    return value


def _seconds(text: str) -> float:
    return _number(text, 0, above=True)


def _statuses(text: str) -> tuple[int, ...]:
    from .sim.faults import check_statuses

    try:
        return check_statuses([int(part) for part in text.split(",")])
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a comma-separated list drawn from 500, 503 and 504: {text!r}") from None


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        from .terms import NEW_YORK as NY

        moment = moment.replace(tzinfo=NY)
    return moment


def add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8765, help="port (default 8765; 0 picks a free one)")
    parser.add_argument("--seed", type=_count, default=0, help="seed for prices, ids and partial fills (default 0)")
    parser.add_argument("--market", choices=("always-open", "nyse"), default="always-open",
                        help="trading hours: always open, or NYSE's calendar and sessions (default always-open)")
    parser.add_argument("--pdt", choices=("current", "legacy"), default="current",
                        help="current: no PDT fields (Alpaca since 2026-07-06); legacy: count day trades "
                             "and enforce pattern-day-trader protection (default current)")
    parser.add_argument("--cash", type=_cash, default=Decimal(100000), help="starting cash (default 100000)")
    parser.add_argument("--portfolio", choices=("empty", "sample"), default="empty",
                        help="start empty, or with sample positions and resting orders (default empty)")
    parser.add_argument("--api-key", help="require this key id (default: accept any keys)")
    parser.add_argument("--secret-key", help="require this secret key (default: accept any keys)")
    parser.add_argument("--rate-limit", type=_count, default=200,
                        help="requests per minute per key; 0 disables (default 200)")
    parser.add_argument("--data-symbol-limit", type=_count, default=30, metavar="N",
                        help="symbols (trades + quotes) per market-data stream connection (default 30)")
    parser.add_argument("--prices", choices=("live", "static"), default="live",
                        help="live: a seeded random walk; static: prices stand still (default live)")
    parser.add_argument("--quote-rate", type=_quote_rate, default=1.0, metavar="N",
                        help="with --prices live: walk steps, so quotes per symbol, a second (up to 20; "
                             "default 1)")
    parser.add_argument("--start-at", type=_moment, metavar="TIME",
                        help="start the simulated clock at this ISO 8601 time (New York if no offset); "
                             "it then runs at normal speed")
    parser.add_argument("--positions", type=_count, default=0, help="extra synthetic positions (scale tests)")
    parser.add_argument("--open-orders", type=_count, default=0, help="extra resting limit orders (scale tests)")
    parser.add_argument("--closed-orders", type=_count, default=0, metavar="N",
                        help="extra closed orders (canceled, expired, rejected) over the past year, for order "
                             "history and paging (default 0)")
    parser.add_argument("--until-stdin-closes", action="store_true",
                        help="also stop at the end of standard input: a supervising process that ends in "
                             "any way stops the simulator with it")
    faults = parser.add_argument_group(
        "fault injection", "Make the REST API (/v2, /v3 paths; not /sim or /stream) slow or failing and the "
                           "stream drop, to test clients. Faults follow --seed; POST /sim/faults changes them "
                           "while running.")
    faults.add_argument("--latency-ms", type=_latency, default=0.0, metavar="N",
                        help="delay every REST answer by N milliseconds (half before handling, half after); "
                             "other requests and the stream are served meanwhile (default 0)")
    faults.add_argument("--fail-rate", type=_rate, default=0.0, metavar="P",
                        help="answer this share (0 to 1) of REST requests with 500, 503 or 504 at random: "
                             "500 and 503 without acting on the request, 504 (an HTML body) after it took "
                             "effect (default 0)")
    faults.add_argument("--fail-statuses", type=_statuses, default=None, metavar="LIST",
                        help="with --fail-rate: the statuses to pick from, e.g. 504 for only the ambiguous "
                             "kind (default 500,503,504)")
    faults.add_argument("--drop-stream-every", type=_seconds, default=None, metavar="S",
                        help="close every trade_updates websocket (code 1011) every S seconds (default never)")


def server_options(args: argparse.Namespace):
    from .sim.engine import EngineOptions
    from .sim.faults import FaultOptions
    from .sim.server import ServerOptions

    if (args.api_key is None) != (args.secret_key is None):
        raise SystemExit("alpaca-tui sim: give both --api-key and --secret-key, or neither")
    engine = EngineOptions(
        seed=args.seed, cash=args.cash, market=args.market, pdt=args.pdt, portfolio=args.portfolio,
        prices=args.prices, quote_rate=args.quote_rate, positions=args.positions, open_orders=args.open_orders,
        closed_orders=args.closed_orders,
    )
    statuses = {} if args.fail_statuses is None else {"fail_statuses": args.fail_statuses}
    faults = FaultOptions(latency_ms=args.latency_ms, fail_rate=args.fail_rate,
                          drop_stream_every=args.drop_stream_every, **statuses)
    return ServerOptions(engine=engine, api_key=args.api_key, secret_key=args.secret_key, rate_limit=args.rate_limit,
                         data_symbol_limit=args.data_symbol_limit, faults=faults)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alpaca-tui",
        description="A terminal app to watch and trade an Alpaca account, with a built-in exchange simulator. "
                    "Keys come from ALPACA_API_KEY and ALPACA_SECRET_KEY (environment or .env); the paper "
                    "endpoint is used unless --live is given. ALPACA_BASE_URL and ALPACA_DATA_URL override "
                    "the endpoints (e.g. http://127.0.0.1:8765 for `alpaca-tui sim`).",
    )
    parser.add_argument("--version", action="version", version=f"alpaca-tui {__version__}")
    parser.add_argument("--demo", action="store_true",
                        help="run against the built-in simulator with a sample portfolio: no account, no network")
    parser.add_argument("--seed", type=_count, default=0, help="with --demo: the simulator's seed (default 0)")
    parser.add_argument("--audit-log", metavar="PATH",
                        help="the audit journal (JSON lines); default: ALPACA_TUI_AUDIT_LOG, "
                             "else audit.jsonl in your data directory")
    parser.add_argument("--live", action="store_true",
                        help="trade the LIVE account (real money); you will be asked to type LIVE")
    parser.add_argument("--full-redraw", action="store_true",
                        help="send the terminal every cell Textual redraws, not only those that changed "
                             "(for a terminal that shows leftovers; Ctrl+L redraws once)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sim = commands.add_parser("sim", help="run the Alpaca-compatible exchange simulator",
                              description="Serve Alpaca's Trading API v2, latest market data and the "
                                          "trade_updates stream on one port.")
    add_sim_arguments(sim)
    export = commands.add_parser(
        "export", help="write positions, orders, fills, activities or realized P&L (FIFO) as CSV or JSON (no UI)",
        description="Read the account (keys from ALPACA_API_KEY / ALPACA_SECRET_KEY, environment or .env, as "
                    "the app does; read-only) and write one table, columns named after Alpaca's fields, "
                    "numbers as plain decimals, times in ISO 8601. Without keys it exits with status 2; it "
                    "never starts the demo. Exit status 1: the server failed, or the export is incomplete.")
    export.add_argument("what", choices=EXPORTS, help="what to export")
    export.add_argument("--format", choices=("csv", "json"), default="csv", help="csv (default) or json")
    export.add_argument("--since", type=_moment, metavar="DATE",
                        help="orders submitted, fills and activities after this ISO 8601 date or time "
                             "(New York if no offset); realized: the closes of the fills since then, "
                             "FIFO over those fills; not for positions")
    export.add_argument("--output", metavar="PATH",
                        help="write to this file (readable by you only) and print its path to stderr; "
                             "default: standard output")
    export.add_argument("--live", dest="export_live", action="store_true",
                        help="read the LIVE account (also accepted before `export`)")
    return parser


EXPORTS = ("positions", "orders", "fills", "activities", "realized")


def export_table(broker, what: str, since: datetime | None) -> tuple[list[dict], tuple[str, ...], bool]:
    """(rows, columns, complete) of one export, read through `broker`, oldest first. Positions
    and orders are read as sent, not through alpaca-py's models: those refuse a whole
    answer over one enum value they do not know, and an export must not."""
    from . import export
    from .broker.activities import TradeActivity
    from .broker.history import ActivityPages, OrderPages

    if what == "positions":
        return export.position_rows(broker.positions_raw()), export.POSITION_COLUMNS, True
    if what == "orders":
        orders = OrderPages(broker, status="all", after=since, direction="asc", raw=True)
        return export.order_rows(orders), export.ORDER_COLUMNS, not orders.truncated
    if what == "fills":
        fills = ActivityPages(broker, types=["FILL"], after=since, direction="asc")
        rows = export.fill_rows(a for a in fills if isinstance(a, TradeActivity))
        return rows, export.FILL_COLUMNS, not fills.truncated
    if what == "realized":
        # As the History screen works it out: FIFO over the fills since `since` (all of them
        # without it); what was held before them, at the cost the fills before it tell
        # (what they cannot is of unknown cost: closed, unmatched).
        from .broker.activity import fill_of
        from .numbers import number
        from .state.realized import lots_before, positions_before, realize
        from .state.realized_today import read_lots_before

        held = {str(p.get("symbol")): number(p.get("qty")) or 0 for p in broker.positions_raw()
                if isinstance(p, dict) and p.get("symbol")}
        pages = ActivityPages(broker, types=["FILL"], after=since, direction="asc")
        fills = [f for f in map(fill_of, pages) if f is not None]
        if since is not None:
            starting, _ = read_lots_before(broker, since, positions_before(held, fills))
        else:
            starting = lots_before(held, fills)
        realized = realize(fills, starting)
        return export.realized_rows(realized.closes), export.REALIZED_COLUMNS, not pages.truncated
    activities = ActivityPages(broker, after=since, direction="asc")
    return export.activity_rows(activities), export.ACTIVITY_COLUMNS, not activities.truncated


def run_export(args: argparse.Namespace) -> int:
    from .config import ConfigError, from_env, load_env

    try:
        config = from_env(load_env(), live=args.live or args.export_live)
    except ConfigError as err:
        print(f"alpaca-tui export: {err}", file=sys.stderr)
        return 2
    if config is None:
        print("alpaca-tui export: no ALPACA_API_KEY / ALPACA_SECRET_KEY in the environment or .env: "
              "nothing to export", file=sys.stderr)
        return 2
    if args.since is not None and args.what == "positions":
        print("alpaca-tui export: --since does not apply to positions (they are as of now)", file=sys.stderr)
        return 2
    from . import export
    from .broker.client import Broker
    from .broker.errors import describe

    try:
        rows, columns, complete = export_table(Broker(config), args.what, args.since)
    except Exception as err:  # the server's or the network's failure, in plain words
        print(f"alpaca-tui export: {args.what}: {describe(err)}", file=sys.stderr)
        return 1
    if args.output:
        try:
            descriptor = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(descriptor, "w", encoding="utf-8", newline="") as out:
                export.write(rows, columns, out, args.format)
        except OSError as err:
            print(f"alpaca-tui export: cannot write {args.output}: {err.strerror or err}", file=sys.stderr)
            return 1
        print(args.output, file=sys.stderr)
    else:
        if hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(newline="")  # the csv module writes its own \r\n
        try:
            export.write(rows, columns, sys.stdout, args.format)
            sys.stdout.flush()
        except BrokenPipeError:  # `| head`: the reader has had enough; no traceback about it
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
    if not complete:
        print(f"alpaca-tui export: warning: the server kept answering full pages; the export stopped "
              f"after {len(rows)} rows and may be incomplete", file=sys.stderr)
        return 1
    return 0


def run_sim(args: argparse.Namespace) -> int:
    from .sim.clock import Clock
    from .sim.runner import run_forever

    return run_forever(server_options(args), args.host, args.port, Clock(args.start_at),
                       until_stdin_closes=args.until_stdin_closes)


def run_demo(seed: int, audit_log: str | None = None, **options) -> int:
    """The app against the sample portfolio on a simulator in a child process (demo.py).
    The broker, made on the first refresh off the UI thread, waits for the simulator only
    after its own imports, so start-up costs the slower of the two instead of their sum."""
    from .config import demo_config
    from .demo import DemoSimulator

    simulator = DemoSimulator(seed)

    def broker_when_ready(config, log):
        from .broker.client import Broker

        broker = Broker(config, log)  # alpaca-py's imports first: the simulator boots meanwhile
        simulator.wait_ready()
        return broker

    try:
        return run_app(demo_config(simulator.url), audit_log, broker_factory=broker_when_ready, **options)
    finally:
        simulator.stop()


def run_app(config, audit_log: str | None = None, warnings: tuple[str, ...] = (), **options) -> int:
    from .broker.journal import Journal, JournalError, choose_path

    journal = Journal(choose_path(audit_log, dict(os.environ)), mode=config.mode.value.lower(),
                      endpoint=config.base_url)
    try:
        journal.open()  # before the UI: nothing may be sent that the journal cannot record
    except JournalError as err:
        print(f"alpaca-tui: {err}", file=sys.stderr)
        return 2
    from .ui.app import AlpacaApp

    app = AlpacaApp(config, on_loaded=gc_pause.resume, journal=journal, warnings=warnings, **options)
    app.run()
    return app.return_code or 0


def confirm_live(read=input) -> bool:
    print("alpaca-tui: --live trades your LIVE account with real money.")
    try:
        return read("Type LIVE to continue: ").strip() == "LIVE"
    except (EOFError, KeyboardInterrupt):
        return False


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "sim":
        return run_sim(args)
    if args.command == "export":
        return run_export(args)
    gc_pause.pause()  # resumed when the panes have data (run_app)
    if args.demo:
        if args.live:
            print("alpaca-tui: --demo and --live cannot go together", file=sys.stderr)
            return 2
        return run_demo(args.seed, args.audit_log, full_redraw=args.full_redraw)
    from .config import ConfigError, dotenv_warning, from_env, load_env

    try:
        config = from_env(load_env(), live=args.live)
    except ConfigError as err:
        print(f"alpaca-tui: {err}", file=sys.stderr)
        return 2
    if config is None:
        if args.live:
            print("alpaca-tui: --live needs ALPACA_API_KEY and ALPACA_SECRET_KEY (environment or .env)",
                  file=sys.stderr)
            return 2
        print("alpaca-tui: no ALPACA_API_KEY / ALPACA_SECRET_KEY in the environment or .env: "
              "starting the demo.", flush=True)
        return run_demo(args.seed, args.audit_log, full_redraw=args.full_redraw)
    warning = dotenv_warning()
    if warning:
        print(f"alpaca-tui: warning: {warning}", file=sys.stderr)
    if config.live and not confirm_live():
        print("alpaca-tui: not confirmed; nothing was sent.", file=sys.stderr)
        return 1
    return run_app(config, args.audit_log, warnings=(warning,) if warning else (), full_redraw=args.full_redraw)


def entry() -> None:
    """The console script: main(), then exit without waiting on anything left running.

    By the time the app returns, the terminal is restored and every journal line is on
    disk; what remains is requests stuck on a slow server, the demo simulator and
    interpreter teardown — none worth making `q` wait for.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
