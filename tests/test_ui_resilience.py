"""A pane whose SDK call raises: the app keeps running and the other panes keep working."""

from __future__ import annotations

from tui.broker.client import Broker
from tui.ui.widgets.positions import PositionsTable

from .ui_support import make_app, screen_text, until


class FlakyBroker(Broker):
    """The real broker, except that positions() raises until told otherwise."""

    broken = True

    def positions(self):
        if FlakyBroker.broken:
            raise RuntimeError("positions exploded")
        return super().positions()


async def test_a_failing_pane_shows_its_error_and_recovers(make_sim):
    sim = make_sim(portfolio="sample")
    FlakyBroker.broken = True
    notes = []
    app = make_app(sim, broker_factory=FlakyBroker)
    async with app.run_test(size=(80, 24), message_hook=lambda m: notes.append(m)) as pilot:
        await until(pilot, lambda: app.refresher.schedule.problem("positions") is not None and app.refresher.schedule.fetched_at("account") is not None
                    and app.refresher.schedule.fetched_at("orders") is not None, what="positions failed, others loaded")
        assert "Orders (3)" in screen_text(app) and "Equity" in screen_text(app)
        table = app.main.query_one(PositionsTable)
        assert table.has_class("failing")
        assert any("positions exploded" in str(getattr(m, "notification", "")) or
                   "positions exploded" in repr(m) for m in notes)
        FlakyBroker.broken = False
        await pilot.press("r")
        await until(pilot, lambda: "Positions (6)" in screen_text(app), what="recovered")
        assert not table.has_class("failing")
        assert app.is_running


async def test_an_unreachable_server_shows_offline_and_the_app_keeps_running(make_sim):
    sim = make_sim()
    url = sim.url
    sim.background.stop()
    app = make_app(sim, stream=False)
    assert app.config.base_url == url
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "OFFLINE" in screen_text(app), what="OFFLINE in the status bar")
        await pilot.press("b")
        await pilot.press("escape")
        assert app.is_running
