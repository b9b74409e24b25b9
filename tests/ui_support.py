"""Helpers for driving the app with Pilot against a real simulator."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Callable

from tui.config import Config, Intervals, Mode
from tui.ui.app import AlpacaApp

from .conftest import KEY, SECRET
from tui.ui import compat

# A Monday morning, market open, for tests that need a still clock.
FROZEN_AT = datetime.fromisoformat("2026-11-23T10:30:00-05:00")
# Refreshes that never come on their own during a test: only what the test does moves data.
QUIET = Intervals(account=3600, positions=3600, orders=3600, orders_polling=3600, positions_polling=3600, clock=3600, fills=3600)


FAST_BACKOFF = (0.01, 0.02, 0.05)


def config_for(url: str, mode: Mode = Mode.PAPER, intervals: Intervals = Intervals()) -> Config:
    return Config(mode, url, url, KEY, SECRET, intervals)


def make_app(sim: Any, *, mode: Mode = Mode.PAPER, intervals: Intervals = Intervals(), stream: bool = True,
             now: Callable[[], datetime] | None = None, **kwargs: Any) -> AlpacaApp:
    if now is None and sim.clock is not None:
        now = sim.clock.now
    # The same tries after an ambiguous failure, without the real pauses between them.
    kwargs.setdefault("backoff", FAST_BACKOFF)
    return AlpacaApp(config_for(sim.url, mode, intervals), now=now, stream=stream, **kwargs)


def screen_text(app: AlpacaApp) -> str:
    """What the terminal shows now, as plain text."""
    return "\n".join(compat.screen_lines(app.screen))


async def until(pilot: Any, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "") -> Any:
    """Let the app run until predicate() holds; fail with the screen if it never does."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what or predicate}\n{screen_text(pilot.app)}")
        await pilot.pause(0.02)


async def loaded(pilot: Any, *, stream: bool = True) -> None:
    """Wait until every pane has data (and the stream is listening, if asked)."""
    app = pilot.app
    await until(pilot, lambda: all(app.refresher.schedule.fetched_at(r) is not None for r in ("account", "positions", "orders", "clock", "fills")),
                what="all panes loaded")
    if stream and app.use_stream:
        await until(pilot, lambda: app.stream_state == "listening", what="stream listening")
    await pilot.pause()
