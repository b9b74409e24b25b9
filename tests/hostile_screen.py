"""What a hostile server's text does on the app's screen: payloads for tests/hostile.py's
fake Alpaca (orders, fills, positions, refusals, problem bodies) and the checks that the
app is still up and that no control character reaches the terminal.

What the terminal would show is read from Textual's compositor: every segment of text it
renders must be free of control characters (Textual's own escape sequences are made later,
by the driver, from styles: an ESC inside a segment's text came from outside).
"""

from __future__ import annotations

import copy
import re
import uuid
from datetime import datetime, timezone
from typing import Any

from rich.segment import Segment

from tui.broker.ratelimit import Budget
from tui.config import Mode
from tui.ui import compat
from tui.ui.app import AlpacaApp
from tui.ui.screens.ticket import ReviewScreen, TicketScreen

from .ui_support import QUIET, config_for, screen_text, until

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# One of Alpaca's orders as the simulator sends it; each test changes what it needs.
ORDER = {
    "id": "d75b5cf6-c43a-4389-911d-4b0a7d89ec63", "client_order_id": "12ffe52a-4104-4041-a380-70cdc537b54a",
    "created_at": "2026-12-05T15:12:13.953260-05:00", "updated_at": "2026-12-05T15:12:13.953260-05:00",
    "submitted_at": "2026-12-05T15:12:13.953260-05:00", "filled_at": None, "expired_at": None,
    "expires_at": None, "canceled_at": None, "failed_at": None, "replaced_at": None, "replaced_by": None,
    "replaces": None, "asset_id": "225aa0b3-8839-51dc-8eb8-164ad716848d", "symbol": "AMZN",
    "asset_class": "us_equity", "notional": None, "qty": "10", "filled_qty": "0", "filled_avg_price": None,
    "order_class": "simple", "order_type": "limit", "type": "limit", "side": "buy", "position_intent": None,
    "time_in_force": "day", "limit_price": "219.1", "stop_price": None, "status": "new",
    "extended_hours": False, "legs": None, "trail_percent": None, "trail_price": None, "hwm": None,
    "subtag": None, "source": None,
}
POSITION = {
    "asset_id": "f4b286db-72c2-502c-bb04-e20e4e36f7f5", "symbol": "AAPL", "exchange": "NASDAQ",
    "asset_class": "us_equity", "asset_marginable": True, "qty": "50", "qty_available": "50",
    "avg_entry_price": "266.33", "side": "long", "market_value": "13511.50", "cost_basis": "13316.50",
    "unrealized_pl": "195.00", "unrealized_plpc": "0.014643", "unrealized_intraday_pl": "11.50",
    "unrealized_intraday_plpc": "0.000852", "current_price": "270.23", "lastday_price": "270",
    "change_today": "0.000852",
}
# A symbol that sets the window title, writes the clipboard and clears the screen.
TERMINAL_ATTACK = "\x1b]0;PWNED\x07\x1b]52;c;cHduZWQ=\x07\x1b[2J"
SIZE = (120, 40)


# ---- helpers --------------------------------------------------------------------------------

def rendered_segments(app: AlpacaApp) -> list[Segment]:
    """Every segment the terminal would be sent for a full repaint of the screen (modal
    screens with what shows through them), as the app's driver gets it."""
    update = compat.full_update(app)
    return [segment for line in update.strips for strip in line for segment in strip]


def leaks(app: AlpacaApp) -> list[str]:
    """Texts of rendered segments that hold a control character."""
    return [segment.text for segment in rendered_segments(app) if CONTROL.search(segment.text)]


def leaking_widgets(app: AlpacaApp) -> list[str]:
    """Which widgets draw the control characters (for the failure message)."""
    found = []
    for widget, (region, *_rest) in compat.visible_widgets(app.screen).items():
        try:
            strips = widget.render_lines(region.reset_offset)
        except Exception as err:  # the failure is the finding
            found.append(f"{widget!r}: {err!r}")
            continue
        texts = [segment.text for strip in strips for segment in strip if CONTROL.search(segment.text)]
        if texts:
            found.append(f"{widget!r}: {texts!r}")
    return found


def assert_up_and_clean(app: AlpacaApp, where: str = "") -> None:
    assert compat.failure(app) is None, f"{where}: the app failed: {compat.failure(app)!r}"
    assert app.is_running and not compat.exit_requested(app), f"{where}: the app is no longer running"
    bad = leaks(app)
    assert not bad, (f"{where}: control characters reach the terminal: {bad!r} "
                     f"from {leaking_widgets(app)} on {app.screen_stack}")


def toast_text(app: AlpacaApp) -> str:
    """What the toasts say, as Textual stores it (after the app's notify)."""
    return "\n".join(f"{n.title}: {n.message}" for n in compat.shown_notifications(app))


def order(symbol: str = "AMZN", **changes: Any) -> dict:
    made = copy.deepcopy(ORDER)
    made.update(id=str(uuid.uuid4()), client_order_id=str(uuid.uuid4()), symbol=symbol, **changes)
    return made


def fill_update(symbol: str, **order_changes: Any) -> dict:
    now = datetime.now(timezone.utc).isoformat()
    raw = order(symbol, status="filled", filled_qty="10", filled_avg_price="219.1", filled_at=now,
                **order_changes)
    return {"stream": "trade_updates", "data": {
        "event": "fill", "execution_id": str(uuid.uuid4()), "timestamp": now, "price": "219.1", "qty": "10",
        "position_qty": "10", "order": raw}}


def new_update(raw: dict) -> dict:
    return {"stream": "trade_updates", "data": {"event": "new", "timestamp": raw["created_at"], "order": raw}}


def position(symbol: str) -> dict:
    return {**POSITION, "symbol": symbol}


def refusal(reason: Any) -> dict:
    return {"stream": "authorization", "data": {"status": "unauthorized", "action": "authenticate",
                                                "message": reason}}


def authorized() -> dict:
    return {"stream": "authorization", "data": {"status": "authorized", "action": "authenticate"}}


def problem_body(message: Any, code: int = 40310000) -> dict:
    return {"code": code, "message": message}


def start(hostile, make_sim, **sim_options: Any):
    """A simulator (the sample portfolio) behind a fake Alpaca, and an app pointed at the fake."""
    sim = make_sim(portfolio=sim_options.pop("portfolio", "sample"), **sim_options)
    fake = hostile(upstream=sim.url)
    app = AlpacaApp(config_for(fake.url, Mode.PAPER, QUIET), stream=True)
    # The app keeps under Alpaca's 200 requests a minute; these tests send more, to a fake.
    app.requests = Budget(limit=100_000)
    return sim, fake, app


def running(app: AlpacaApp):
    """The app headless, with its toasts (run_test leaves them out unless asked)."""
    return app.run_test(size=SIZE, notifications=True)


async def ready(pilot) -> None:
    """Every pane loaded and the stream listening to the fake."""
    app = pilot.app
    await until(pilot, lambda: all(app.refresher.schedule.fetched_at(r) is not None for r in ("account", "positions", "orders", "clock", "fills"))
                and app.stream_state == "listening", timeout=15, what="loaded, stream listening")
    await pilot.pause()


async def shown(pilot, text: str, timeout: float = 5.0) -> None:
    await until(pilot, lambda: text in screen_text(pilot.app), timeout=timeout, what=f"{text!r} on screen")


async def buy_one(pilot, symbol: str = "AAPL") -> None:
    """b, a symbol, quantity 1, Enter, and y in the review: the order goes to POST /v2/orders."""
    app = pilot.app
    await pilot.press("b")
    await until(pilot, lambda: isinstance(app.screen, TicketScreen) and app.screen.is_mounted, what="ticket")
    await pilot.press(*symbol, "tab", "1", "enter")
    await until(pilot, lambda: isinstance(app.screen, ReviewScreen) and app.screen.checked, what="review")
    await pilot.press("y")


async def click_on(pilot, text: str) -> None:
    """One click on the first cell of `text` where the screen shows it."""
    for row, line in enumerate(screen_text(pilot.app).splitlines()):
        column = line.find(text)
        if column >= 0:
            await pilot.click(offset=(column + 1, row))
            return
    raise AssertionError(f"{text!r} is not on screen:\n{screen_text(pilot.app)}")


