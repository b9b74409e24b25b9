"""Shared fixtures: a real simulator on a loopback port, driven through the real alpaca-py."""

from __future__ import annotations

import time
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Iterator

import pytest
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.trading.client import TradingClient

from tui.broker.sdk_compat import disable_retries
from tui.sim.clock import Clock, ManualClock
from tui.sim.engine import EngineOptions
from tui.sim.runner import BackgroundSimulator
from tui.sim.server import ServerOptions

KEY, SECRET = "test-key", "test-secret"


class SimHandle:
    """A running simulator plus alpaca-py clients pointed at it."""

    def __init__(self, background: BackgroundSimulator, clock: Clock | None) -> None:
        self.background = background
        self.clock = clock
        self.url = background.url
        self.stream_url = background.stream_url
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

        answer = requests.post(self.url + "/sim/faults", json=settings, timeout=10,
                               headers={"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def advance(self, seconds: float) -> None:
        """Move a ManualClock and let the engine see the new time."""
        assert isinstance(self.clock, ManualClock), "advance needs a simulator with a ManualClock"
        self.call(self.clock.advance, seconds)
        self.tick()


def trading_client(url: str, key: str = KEY, secret: str = SECRET) -> TradingClient:
    client = TradingClient(key, secret, url_override=url)
    disable_retries(client)  # tests see 429 and 5xx at once instead of alpaca-py's 3 s retries
    return client


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


@pytest.fixture
def make_sim() -> Iterator[Callable[..., SimHandle]]:
    """Start simulators with chosen options; all are stopped after the test.

    Defaults favour determinism: seed 1, static prices, no rate limit, no partial fills
    unless asked (partial_fills=True keeps Alpaca's ~10%).
    """
    started: list[BackgroundSimulator] = []

    def start(*, clock: Clock | None = None, start_at: datetime | None = None, api_key: str | None = None,
              secret_key: str | None = None, rate_limit: int = 0, stream_connections: int = 1,
              partial_fills: bool = False, **engine: Any) -> SimHandle:
        engine.setdefault("seed", 1)
        engine.setdefault("prices", "static")
        if start_at is not None:
            clock = ManualClock(start_at)
        engine.setdefault("partial_fill_share", 0.10 if partial_fills else 0.0)
        options = ServerOptions(engine=EngineOptions(**engine), api_key=api_key, secret_key=secret_key,
                                rate_limit=rate_limit, stream_connections=stream_connections)
        background = BackgroundSimulator(options, clock).start()
        started.append(background)
        return SimHandle(background, clock)

    yield start
    for background in started:
        background.stop()


@pytest.fixture
def sim(make_sim) -> SimHandle:
    """An empty $100,000 account on an always-open market with still prices."""
    return make_sim()
