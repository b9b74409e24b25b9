"""Shared fixtures: a real simulator on a loopback port, driven through the real alpaca-py.

The simulator launcher, the pseudo-terminal driver and the Hypothesis profiles live in
tests/harness/ (the benchmarks use the same ones); the names below are kept for the tests
that import them from here."""

from __future__ import annotations

from typing import Callable, Iterator

import pytest
from textual.pilot import Pilot

from .harness import profiles  # noqa: F401  (registers and loads the Hypothesis profile)
from .harness.simulator import KEY, SECRET, SimHandle, Simulators, trading_client, wait_for

__all__ = ["KEY", "SECRET", "SimHandle", "trading_client", "wait_for"]


@pytest.fixture
def make_sim() -> Iterator[Callable[..., SimHandle]]:
    """Start simulators with chosen options (tests/harness/simulator.py: server_options);
    all are stopped after the test.

    Defaults favour determinism: seed 1, static prices, no rate limit, no partial fills
    unless asked (partial_fills=True keeps Alpaca's ~10%).
    """
    simulators = Simulators()
    yield simulators.start
    simulators.close()


@pytest.fixture
def sim(make_sim) -> SimHandle:
    """An empty $100,000 account on an always-open market with still prices."""
    return make_sim()


def pytest_report_header(config) -> str:
    return f"hypothesis profile: {profiles.PROFILE} (HYPOTHESIS_PROFILE=thorough for a deeper search)"


@pytest.fixture(autouse=True)
def keys_without_idle_waits(monkeypatch):
    """Pilot.press for this app sends each key as Textual's Pilot does (the driver's
    path) and waits, before the next, until the app has finished with it and the screen
    has processed what it set off (ui_support.typed_slowly). Pilot's own press waits for
    the whole process to be idle twice a key instead (>= 40 ms, up to 2 s while a
    simulator thread of the process works), which is most of what the UI tests took.
    Other apps (no key sequencer) and `wait:` keys keep Pilot's press."""
    from tui.ui.app import AlpacaApp

    from .ui_support import typed_slowly

    original = Pilot.press

    async def press(self: Pilot, *keys: str) -> None:
        if not isinstance(self.app, AlpacaApp) or any(key.startswith("wait:") for key in keys):
            return await original(self, *keys)
        await typed_slowly(self, list(keys))

    monkeypatch.setattr(Pilot, "press", press)


@pytest.fixture(autouse=True)
def streams_stopped_after_the_test(monkeypatch):
    """The app stops its trade_updates thread only on `q` (action_quit); a test that ends
    its run_test otherwise would leave the thread reconnecting to a stopped simulator for
    the rest of the session (one more per UI test). Every app made during the test has
    its stream stopped at teardown."""
    from tui.ui.app import AlpacaApp

    made: list[AlpacaApp] = []
    init = AlpacaApp.__init__

    def record(self: AlpacaApp, *args, **kwargs) -> None:
        init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(AlpacaApp, "__init__", record)
    yield
    for app in made:
        if app.stream is not None:
            app.stream.stop()
