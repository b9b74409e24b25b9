"""A server that answers slowly, or trickles its answer, is said on screen: the pane waiting
for it says so, and the status bar does not call the data fresh."""

from __future__ import annotations

import tui.state.refresh
from tui.ui.app import AlpacaApp
from tui.ui.widgets.statusbar import StatusBar

from .hostile import hostile  # noqa: F401  (the fixture)
from .ui_support import config_for, screen_text, until


async def test_a_trickling_account_is_said_and_never_called_fresh(make_sim, hostile, monkeypatch):
    # A part is said to be late after LATE seconds (5); 1 s here, so the test does not sit
    # out the app's threshold. One byte a second never completes the account in time.
    monkeypatch.setattr(tui.state.refresh, "LATE", 1.0)
    sim = make_sim(portfolio="sample")
    fake = hostile(upstream=sim.url)
    fake.answer("GET", "/v2/account", trickle=(1, 1.0))
    app = AlpacaApp(config_for(fake.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: "waiting" in screen_text(app), timeout=8, what="the pane says it waits")
        assert "for the server" in screen_text(app)
        bar = app.main.query_one(StatusBar)
        assert "<20s" not in bar.line.plain
        assert "Orders (3)" in screen_text(app)  # the rest of the screen is there


async def test_a_clock_in_year_9999_or_year_1_leaves_the_app_up(make_sim, hostile):
    sim = make_sim(portfolio="sample")
    fake = hostile(upstream=sim.url)
    for year in ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"):
        fake.answer("GET", "/v2/clock", json={"timestamp": year, "is_open": True, "next_open": year,
                                              "next_close": year})
        app = AlpacaApp(config_for(fake.url))
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: app.refresher.schedule.problem("clock") is not None, what="the clock refused, not a crash")
            for _ in range(2):  # two heartbeats (the app's 1 s timer: ages, the clock's countdown), now
                app._heartbeat()
                await pilot.pause(0)
            await pilot.pause(0.1)
            assert app.is_running and "Orders (3)" in screen_text(app)
