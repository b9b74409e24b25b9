"""Starting the simulator: in this process (tests) or as its own process (the CLI's tests,
benchmarks). Both listen on a free loopback port and are stopped by whoever started them."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from alpaca.data.historical import StockHistoricalDataClient
from alpaca.trading.client import TradingClient

from tui.broker.sdk_compat import disable_retries
from tui.sim.clock import Clock, ManualClock
from tui.sim.engine import EngineOptions
from tui.sim.faults import FaultOptions
from tui.sim.runner import BackgroundSimulator
from tui.sim.server import ServerOptions

ROOT = Path(__file__).resolve().parents[2]
KEY, SECRET = "test-key", "test-secret"
HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}
APP = [sys.executable, "-m", "tui"]


def trading_client(url: str, key: str = KEY, secret: str = SECRET) -> TradingClient:
    client = TradingClient(key, secret, url_override=url)
    disable_retries(client)  # tests see 429 and 5xx at once instead of alpaca-py's 3 s retries
    return client


# ---- in this process -------------------------------------------------------------------------

class SimHandle:
    """A running in-process simulator plus alpaca-py clients pointed at it."""

    def __init__(self, background: BackgroundSimulator, clock: Clock | None) -> None:
        self.background = background
        self.clock = clock
        self.url = background.url
        self.stream_url = background.stream_url
        self.port = background.port
        self.client = trading_client(self.url)
        self.data = StockHistoricalDataClient(KEY, SECRET, url_override=self.url)

    @property
    def exchange(self):
        assert self.background.simulator is not None
        return self.background.simulator.exchange

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run fn on the simulator's loop thread (where the exchange lives)."""
        return self.background.call(fn, *args)

    def tick(self) -> None:
        self.call(self.exchange.tick)

    def set_price(self, symbol: str, price: str | Decimal) -> None:
        self.call(self.exchange.set_price, symbol, Decimal(str(price)))

    def set_faults(self, **settings: Any) -> dict[str, Any]:
        """Change the simulator's injected faults while it runs (POST /sim/faults)."""
        import requests

        answer = requests.post(self.url + "/sim/faults", json=settings, timeout=10, headers=HEADERS)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def advance(self, seconds: float) -> None:
        """Move a ManualClock and let the engine see the new time."""
        assert isinstance(self.clock, ManualClock), "advance needs a simulator with a ManualClock"
        self.call(self.clock.advance, seconds)
        self.tick()

    def stop(self) -> None:
        self.background.stop()


def server_options(*, api_key: str | None = None, secret_key: str | None = None, rate_limit: int = 0,
                   stream_connections: int = 1, partial_fills: bool = False,
                   faults: FaultOptions | dict[str, Any] | None = None, **engine: Any) -> ServerOptions:
    """Options that favour determinism: seed 1, still prices, no rate limit, no partial fills
    unless asked (partial_fills=True keeps Alpaca's ~10%); `engine` is EngineOptions' fields."""
    engine.setdefault("seed", 1)
    engine.setdefault("prices", "static")
    engine.setdefault("partial_fill_share", 0.10 if partial_fills else 0.0)
    if isinstance(faults, dict):
        faults = FaultOptions(**faults)
    return ServerOptions(engine=EngineOptions(**engine), api_key=api_key, secret_key=secret_key,
                         rate_limit=rate_limit, stream_connections=stream_connections,
                         faults=faults or FaultOptions())


def start_simulator(*, clock: Clock | None = None, start_at: datetime | None = None, port: int = 0,
                    **options: Any) -> SimHandle:
    """A simulator on a thread of this process (see server_options for `options`).
    start_at: a ManualClock from then, moved only by SimHandle.advance."""
    if start_at is not None:
        clock = ManualClock(start_at)
    background = BackgroundSimulator(server_options(**options), clock, port=port).start()
    return SimHandle(background, clock)


class Simulators:
    """Starts in-process simulators and stops every one of them at close()."""

    def __init__(self) -> None:
        self.started: list[SimHandle] = []

    def start(self, **options: Any) -> SimHandle:
        handle = start_simulator(**options)
        self.started.append(handle)
        return handle

    __call__ = start

    def close(self) -> None:
        for handle in self.started:
            handle.stop()
        self.started.clear()


# ---- as its own process ----------------------------------------------------------------------

LISTENING = re.compile(r"^listening on (http://127\.0\.0\.1:(\d+))$")


class SimulatorProcess:
    """`alpaca-tui sim --port PORT FLAGS` as its own process, as a user starts it.

    Its first line says where it listens (wait_listening); what it writes to stderr is kept
    in a file (stderr_text) so that it never blocks on a full pipe."""

    def __init__(self, *flags: str, port: int | str = 0, cwd: Path = ROOT) -> None:
        self._stderr = tempfile.TemporaryFile()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen([*APP, "sim", "--port", str(port), *flags], cwd=cwd, env=env,
                                     stdout=subprocess.PIPE, stderr=self._stderr,
                                     bufsize=0)  # unbuffered: select() sees every line still unread
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stream_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/stream"

    def read_line(self, timeout: float) -> str:
        """One line of its stdout, or AssertionError after `timeout` seconds of silence."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                raise AssertionError(f"no output within {timeout}s; stderr: {self.stderr_text()!r}")
        return self.proc.stdout.readline().decode().rstrip("\n")

    def wait_listening(self, timeout: float = 15) -> int:
        """The port from its first line ("listening on http://127.0.0.1:PORT")."""
        line = self.read_line(timeout)
        match = LISTENING.match(line)
        if not match:
            self.kill()
            raise AssertionError(f"simulator did not start: first line {line!r}; stderr: {self.stderr_text()!r}")
        self.port = int(match.group(2))
        return self.port

    def stderr_text(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def get(self, path: str, **kwargs: Any):
        import requests

        return requests.get(self.url + path, timeout=5, **kwargs)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 5) -> int:
        """Signal it and wait for its exit status."""
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self) -> None:
        """Ended by any means, pipes closed (safe to call twice)."""
        if self.proc.poll() is None:
            try:
                self.stop(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc.stdout and not self.proc.stdout.closed:
            self.proc.stdout.close()
        if not self._stderr.closed:
            self._stderr.close()

    def __enter__(self) -> SimulatorProcess:
        try:
            self.wait_listening()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    """Poll until predicate() is truthy; return its value or fail with what it last said."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        time.sleep(interval)
        value = predicate()
    return value
