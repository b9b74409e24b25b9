"""Helpers for driving the app with Pilot against a real simulator."""

from __future__ import annotations

import asyncio
import time
import unicodedata
from datetime import datetime
from typing import Any, Callable

from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

from tui.config import Config, Intervals, Mode
from tui.ui.app import AlpacaApp

from .conftest import KEY, SECRET
from tui.ui import compat

# A Monday morning, market open, for tests that need a still clock.
FROZEN_AT = datetime.fromisoformat("2026-11-23T10:30:00-05:00")
# Refreshes that never come on their own during a test: only what the test does moves data.
QUIET = Intervals(account=3600, positions=3600, orders=3600, orders_polling=3600, positions_polling=3600, clock=3600, fills=3600)
# Polling (the stream down) every half second instead of 5 s; the intervals with the stream
# up stay the app's own (15-60 s), so what shows within a second or two came by polling.
FAST_POLLING = Intervals(orders_polling=0.5, positions_polling=0.5)


FAST_BACKOFF = (0.01, 0.02, 0.05)


def config_for(url: str, mode: Mode = Mode.PAPER, intervals: Intervals = Intervals()) -> Config:
    return Config(mode, url, url, KEY, SECRET, intervals)


def make_app(sim: Any, *, mode: Mode = Mode.PAPER, intervals: Intervals = Intervals(), stream: bool = True,
             now: Callable[[], datetime] | None = None, url: str | None = None, **kwargs: Any) -> AlpacaApp:
    """The app against `sim` (or against `url`, a fake Alpaca in front of it), on the
    simulator's clock when it has a manual one."""
    if now is None and sim.clock is not None:
        now = sim.clock.now
    # The same tries after an ambiguous failure, without the real pauses between them.
    kwargs.setdefault("backoff", FAST_BACKOFF)
    return AlpacaApp(config_for(url or sim.url, mode, intervals), now=now, stream=stream, **kwargs)


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


# ---- keys as the terminal delivers them ------------------------------------------------------

def key_event(key: str) -> events.Key:
    """The event Textual's driver makes for `key` (as Pilot.press does)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        character = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        character = key if len(key) == 1 else None
    return events.Key(key, character)


def burst(app: AlpacaApp, keys: list[str]) -> int:
    """Every key handed to the app at once, as one read from the terminal delivers them.
    Returns how many keys the app will have received once it has them all."""
    expected = app.key_queue.received + len(keys)
    for key in keys:
        event = key_event(key)
        event.set_sender(app)
        compat.feed_terminal(app, event)
    return expected


def keys_finished(app: AlpacaApp, count: int) -> bool:
    """The app has received `count` keys and finished with every one: none waits, and the
    last one sent was handled by the App or consumed by a widget."""
    return app.key_queue.received >= count and app.key_queue.finished


async def settled(pilot: Any, count: int, seconds: float = 0.1) -> None:
    """Until the app has taken `count` keys (burst() returns it) and finished with all of
    them, then the screen has processed what they set off, and `seconds` more."""
    app = pilot.app
    await until(pilot, lambda: keys_finished(app, count), what="every key handled")
    await pilot.pause(seconds)


async def typed_slowly(pilot: Any, keys: list[str]) -> None:
    """Each key on its own, as the terminal delivers a key typed alone, and the next one
    only once the app has finished with it, its animations are done and the screen has
    processed what it set off: a person typing slowly, without waiting out real time
    between keys."""
    app = pilot.app
    for key in keys:
        count = burst(app, [key])
        deadline = time.monotonic() + 5
        while not keys_finished(app, count):
            if time.monotonic() > deadline:
                raise AssertionError(f"{key!r} not handled within 5 s\n{screen_text(app)}")
            await asyncio.sleep(0.002)
        await app.animator.wait_until_complete()
        await pilot.pause(0)
