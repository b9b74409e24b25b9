"""Hostile text from the server reaches the screen only as plain, printable text.

Server text (error messages, symbols, statuses, stream refusal reasons, order ids) is
shown in toasts, the status bar, the tables, dialogs and the info screens. Markup in it
(`[/]`, `[@click=app.quit]`) must be shown, never parsed (a MarkupError kills the app;
an action link runs on a click); escape sequences and control characters must never reach
the terminal (OSC 0 sets the window title, OSC 52 writes the clipboard, CSI 2J clears the
screen).

The app runs against tests/hostile.py's fake Alpaca, which passes what a test does not
script through to a real simulator, and whose trade_updates websocket sends what the test
pushes. What the terminal would show is read from Textual's compositor: every segment of
text it renders must be free of control characters (Textual's own escape sequences are
made later, by the driver, from styles: an ESC inside a segment's text came from outside).
One test runs the app in a real pseudo-terminal and reads the raw bytes.
"""

from __future__ import annotations

import asyncio
import copy
import re
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Iterator

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from rich.segment import Segment
from textual._context import active_app
from textual.css.query import NoMatches
from textual.widgets._toast import Toast, ToastRack

from tui.broker.ratelimit import Budget
from tui.broker.ticket import OrderPlan
from tui.config import Mode
from tui.ui.app import AlpacaApp
from tui.ui.messages import StreamChanged
from tui.ui.screens.confirm import ConfirmScreen
from tui.ui.screens.info import InfoScreen
from tui.ui.screens.ticket import ReviewScreen, TicketScreen
from tui.ui.widgets.orders import OrdersPane, OrdersTable
from tui.ui.widgets.positions import PositionsTable
from tui.ui.widgets.statusbar import StatusBar

from .conftest import KEY, SECRET
from .hostile import hostile  # noqa: F401  (the fixture)
from .ui_support import QUIET, config_for, screen_text, until
from tui.ui import compat

# What no segment of rendered text may hold: C0 and C1 controls (ESC, CSI, OSC, BEL...),
# DEL, and the bidi overrides and isolates that make a line read backwards.
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


# ---- markup in server text: shown, never parsed ------------------------------------------

async def test_a_403_whose_message_is_markup_is_shown_in_the_toast_status_bar_and_rejections(hostile, make_sim):
    # Old code: MarkupError from the toast ("closing tag '[/]' has nothing to close"): the app died.
    sim, fake, app = start(hostile, make_sim)
    fake.answer("POST", "/v2/orders", status=403, json=problem_body("[/] forbidden"))
    async with running(app) as pilot:
        await ready(pilot)
        await buy_one(pilot)
        await until(pilot, lambda: app.state.rejections, what="the rejection")
        await shown(pilot, "[/] forbidden")
        assert "[/] forbidden" in toast_text(app)
        assert "[/] forbidden (40310000)" in app.main.query_one(StatusBar).line.plain
        assert_up_and_clean(app, "toast")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, InfoScreen), what="rejections screen")
        await shown(pilot, "REJECTED [/] forbidden")
        assert_up_and_clean(app, "rejections screen")


async def test_an_order_id_in_brackets_is_shown_with_its_brackets(hostile, make_sim):
    # Old code: `[abc-123]` read as a markup tag and dropped: "order  not found".
    sim, fake, app = start(hostile, make_sim)
    async with running(app) as pilot:
        await ready(pilot)
        await pilot.press("3")
        pane = app.main.query_one(OrdersPane)
        await until(pilot, lambda: pane.selected_order is not None, what="an order selected")
        order_id = str(pane.selected_order.id)
        fake.answer("DELETE", f"/v2/orders/{order_id}", status=404,
                    json=problem_body("order [abc-123] not found", 40410000))
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="cancel confirmation")
        await pilot.press("y")
        await until(pilot, lambda: app.state.rejections, what="the rejection")
        await shown(pilot, "order [abc-123] not found")
        assert "order  not found" not in screen_text(app)
        assert_up_and_clean(app)
        await pilot.press("e")
        await shown(pilot, "order [abc-123] not found")
        assert_up_and_clean(app, "rejections screen")


async def test_a_click_on_a_toast_runs_no_screenshot_link_from_the_server(hostile, make_sim, tmp_path, monkeypatch):
    # Old code: one click on the toast ran app.screenshot: a file written where the server said.
    monkeypatch.chdir(tmp_path)
    sim, fake, app = start(hostile, make_sim)
    fake.answer("POST", "/v2/orders", status=403,
                json=problem_body("[@click=app.screenshot('p.svg','.')]CLICKME[/]"))
    async with running(app) as pilot:
        await ready(pilot)
        await buy_one(pilot)
        await until(pilot, lambda: "CLICKME" in screen_text(app), what="the toast")
        as_sent = "[@click=app.screenshot('p.svg','.')]CLICKME" in screen_text(app)
        await click_on(pilot, "CLICKME")
        await pilot.pause(0.3)
        assert not list(tmp_path.rglob("*.svg")), "a click on server text wrote a file"
        assert_up_and_clean(app, "after the click")
        assert as_sent, "the message is shown as the server sent it"


async def test_a_click_on_a_toast_runs_no_quit_link_from_the_server(hostile, make_sim):
    # Old code: one click on the toast of a failed refresh ran app.quit.
    sim, fake, app = start(hostile, make_sim)
    async with running(app) as pilot:
        await ready(pilot)
        fake.answer("GET", "/v2/account", status=403, json=problem_body("[@click=app.quit]QUITME[/]"))
        await pilot.press("r")
        await until(pilot, lambda: "QUITME" in screen_text(app), what="the account's toast")
        as_sent = "[@click=app.quit]QUITME" in screen_text(app)
        await click_on(pilot, "QUITME")
        await pilot.pause(0.3)
        assert_up_and_clean(app, "after the click")
        assert as_sent, "the message is shown as the server sent it"


async def test_a_stream_fill_whose_symbol_is_markup_is_announced_as_text(hostile, make_sim):
    # Old code: the "Filled" toast parsed `[/]`: MarkupError, the app died.
    sim, fake, app = start(hostile, make_sim)
    async with running(app) as pilot:
        await ready(pilot)
        fake.push(fill_update("[/]"))
        await until(pilot, lambda: "Filled" in toast_text(app), what="the fill's toast")
        assert "[/]" in toast_text(app)
        await shown(pilot, "[/]")
        assert_up_and_clean(app)


async def test_x_on_a_position_whose_symbol_is_markup_says_it_cannot_be_traded(hostile, make_sim):
    # Old code: the toast naming the symbol parsed `[/]`: MarkupError, the app died.
    sim, fake, app = start(hostile, make_sim)
    fake.answer("GET", "/v2/positions", json=[position("[/]")])
    async with running(app) as pilot:
        await ready(pilot)
        await shown(pilot, "Positions (1)")
        await pilot.press("2", "x")
        await until(pilot, lambda: "cannot trade" in toast_text(app) or "can trade" in toast_text(app),
                    what="the warning")
        assert "[/]" in toast_text(app)
        assert not isinstance(app.screen, ConfirmScreen)  # never offered for trading
        await shown(pilot, "[/] is not a symbol")
        assert_up_and_clean(app)
        assert not fake.paths("DELETE")


async def test_the_connection_screen_shows_a_refusal_reason_that_is_markup(hostile, make_sim):
    # Old code: `i` put the reason into a Rich table cell as a str, parsed as markup: MarkupError.
    sim, fake, app = start(hostile, make_sim)
    fake.auth_reply = refusal("[/] denied")
    async with running(app) as pilot:
        await until(pilot, lambda: app.stream_state == "unauthorized", timeout=15, what="the stream refused")
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, InfoScreen), what="connection screen")
        await shown(pilot, "unauthorized ([/] denied)")
        assert_up_and_clean(app, "connection screen")


async def test_a_bulk_cancel_refused_with_a_code_that_is_not_a_number_leaves_the_app_up(hostile, make_sim):
    # NEEDS APP_PATCH.diff (tui/ui/app.py, _report_bulk): `int(code)` on the server's code
    # raised ValueError for `[/]` inside on_action_done, and the app died. The patch reads
    # the code with tui.numbers-like care (digits only) and cleans the label and message.
    sim, fake, app = start(hostile, make_sim)
    async with running(app) as pilot:
        await ready(pilot)
        refused = [{"id": str(order_id), "status": 500, "body": {"code": "[/]", "message": "[/] \x1b]52;c;eA==\x07no"}}
                   for order_id in list(app.state.orders)[:2]]
        fake.answer("DELETE", "/v2/orders", status=207, json=refused)
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="cancel-all confirmation")
        await pilot.press("y")
        await until(pilot, lambda: len(app.state.rejections) >= 2 or compat.failure(app) is not None, what="two refusals")
        await pilot.pause()
        assert_up_and_clean(app, "bulk cancel refused")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, InfoScreen), what="rejections screen")
        await shown(pilot, "REJECTED [/] no")
        assert_up_and_clean(app, "rejections screen")


# ---- escape sequences and control characters: never sent to the terminal ------------------

async def test_escape_sequences_in_a_symbol_and_a_403_never_reach_the_terminal(hostile, make_sim):
    # Old code: the symbol's OSC 0, OSC 52 and CSI 2J went to the terminal byte for byte,
    # and so did an OSC 52 in a 403's message through its error toast.
    sim, fake, app = start(hostile, make_sim)
    fake.answer("GET", "/v2/positions", json=[position(TERMINAL_ATTACK)])
    async with running(app) as pilot:
        await ready(pilot)
        await shown(pilot, "Positions (1)")
        assert_up_and_clean(app, "positions")
        await shown(pilot, "\\x1b]0;PWNED")  # shown escaped: what was sent, inert
        table = app.main.query_one(PositionsTable)
        assert table.selected_symbol == TERMINAL_ATTACK
        await pilot.press("2", "b")  # the ticket never takes an invalid symbol
        await until(pilot, lambda: isinstance(app.screen, TicketScreen) and app.screen.is_mounted)
        assert app.screen.query_one("#symbol").value == ""
        await pilot.press("escape")
        await pilot.press("x")
        await until(pilot, lambda: "can trade" in toast_text(app), what="the warning")
        assert not isinstance(app.screen, ConfirmScreen)
        assert_up_and_clean(app, "x on the position")
        fake.answer("GET", "/v2/orders", status=403,
                    json=problem_body("no \x1b]52;c;cHduZWQ=\x07 orders \x9b2J\x1bP1$r\x1b\\ here"))
        await pilot.press("r")
        await until(pilot, lambda: "orders  here" in toast_text(app) or "orders here" in toast_text(app),
                    what="the orders' error toast")
        await shown(pilot, "here")
        assert_up_and_clean(app, "error toast")
        assert not fake.paths("POST") and not fake.paths("DELETE")


# ---- the property: any text, through every place that shows server text -------------------

# Pieces that have broken terminal apps: markup, escape sequences whole and cut short, C0
# and C1 controls, bidi overrides, wide and joined characters.
FRAGMENTS = [
    "[/]", "[b]", "[/b]", "[bold red]", "[@click=app.quit]x[/]", "[@click=app.screenshot('p.svg','.')]y[/]",
    "[link=https://evil.example]here[/link]", "[on #ff0000]", "[", "]", "\\[", "\\", "[[", "]]", "[/link]",
    "\x1b", "\x1b[", "\x1b[2J", "\x1b[31;1m", "\x1b[?1049l", "\x1b[6n", "\x1b]0;PWNED\x07", "\x1b]52;c;cHduZWQ=\x07",
    "\x1b]8;;http://evil.example\x1b\\", "\x1b]0;cut short", "\x1bP1$r\x1b\\", "\x1bPq#0", "\x1b_G\x1b\\", "\x1bc",
    "\x9b2J", "\x9d0;t\x9c", "\x90q\x9c", "\x07", "\x08", "\r", "\n", "\t", "\x00", "\x7f", "\x85", "\x0b",
    "\u202e", "\u202d", "\u2066", "\u2069", "\u200f", "\u061c", "\u2028", "\ufeff", "\u200b",
    "🙂", "👨‍👩‍👧", "🇺🇸", "漢字", "é", "e\u0301", "ｗｉｄｅ", "AAPL", "BTC/USD", " ", "%s", "{0}",
]
PIECE = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6),
                  st.characters(max_codepoint=0x9f), st.characters(min_codepoint=0x2000, max_codepoint=0x206f))
SHORT = st.lists(PIECE, max_size=10).map("".join)
LONG = st.builds(lambda text, times: text * times, SHORT.filter(bool), st.integers(100, 600))
SAMPLE = st.one_of(SHORT, SHORT, SHORT, LONG)
EXAMPLES = 25

PLAN = OrderPlan(symbol="AAPL", side="buy", order_type="market", tif="day", qty=Decimal(1), notional=None,
                 limit_price=None, stop_price=None, trail_price=None, trail_percent=None, extended_hours=False,
                 take_profit=None, stop_loss=None)


def toasts_drawn(app: AlpacaApp) -> bool:
    """Every notification has its toast mounted and placed on the current screen."""
    try:
        rack = app.screen.get_child_by_type(ToastRack)
    except NoMatches:
        return True
    placed = compat.placed_widgets(app.screen)
    mounted = {compat.toast_notification(toast).identity for toast in rack.query(Toast) if toast in placed}
    return all(n.identity in mounted for n in compat.shown_notifications(app) if not n.has_expired)


async def soon(pilot, predicate: Callable[[], Any], what: str, timeout: float = 5.0) -> None:
    """until() in short steps, ending early if the app failed (the check after it says how)."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    while not (predicate() or compat.failure(app) is not None or not app.is_running):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}\n{screen_text(app)}")
        await asyncio.sleep(0.01)


async def checked(pilot, where: str) -> None:
    """Let the screen settle with its toasts, then: still up, no control character drawn.
    (No pilot.press or pause(): they wait for the whole process to idle, which a simulator
    and a fake server on threads of this process make slow.)"""
    app = pilot.app
    await soon(pilot, lambda: toasts_drawn(app), f"{where}: toasts drawn")
    await asyncio.sleep(0.02)  # a frame or so: the screen lays out what changed
    assert_up_and_clean(app, where)


async def opened(pilot, open_it: Callable[[], Any], kind: type, where: str) -> None:
    """Run the action that opens a screen of `kind`, wait for it, check it."""
    app = pilot.app
    open_it()
    await soon(pilot, lambda: isinstance(app.screen, kind) and app.screen.is_mounted, where)
    await checked(pilot, where)


async def back_to_main(pilot) -> None:
    """Close whatever stands over the main screen, as Esc would."""
    app = pilot.app
    while app.screen is not app.main and app.is_running:
        screen = app.screen
        for name in ("action_cancel", "action_close", "action_back"):
            if hasattr(screen, name):
                getattr(screen, name)()
                break
        else:
            app.pop_screen()
        await soon(pilot, lambda: app.screen is not screen, "the screen closed")


async def feed_rest_and_stream(pilot, fake, sample: str, index: int, rest_orders: list[dict]) -> None:
    app = pilot.app
    where = f"sample {index} {sample!r}"
    await back_to_main(pilot)  # an example that failed may have left a dialog open

    # A REST error message: 403 on POST /v2/orders -> toast, status bar, rejections screen.
    fake.answer("POST", "/v2/orders", status=403, json=problem_body(sample))
    count = len(app.state.rejections)
    app.flow.send_order(PLAN)
    await soon(pilot, lambda: len(app.state.rejections) > count, f"{where}: 403")
    await checked(pilot, f"{where}: 403 toast and status bar")

    # An order with this symbol, from REST and the stream; a fill; a trade_update whose
    # event, status and side are this text (unreadable: the app asks REST instead).
    at = datetime.now(timezone.utc) + timedelta(days=1, seconds=index)
    raw = order(sample, submitted_at=at.isoformat(), created_at=at.isoformat(), updated_at=at.isoformat())
    rest_orders.append(raw)
    fake.answer("GET", "/v2/orders", json=rest_orders[-4:])
    fake.push(new_update(raw))
    await soon(pilot, lambda: raw["id"] in app.state.orders, f"{where}: order shown")
    fake.push(fill_update(sample))
    fake.push({"stream": "trade_updates", "data": {"event": sample, "order": order(sample, status=sample,
                                                                                   side=sample)}})
    await soon(pilot, lambda: not app.announcer.waiting, f"{where}: the fill announced")
    await checked(pilot, f"{where}: orders table, fill toast")

    # Its cancel dialog, and a 404 naming the order by this text.
    table = app.main.query_one(OrdersTable)
    await soon(pilot, lambda: raw["id"] in app.state.orders and raw["id"] in table._row_keys, f"{where}: its row")
    table.move_cursor(row=table.get_row_index(raw["id"]))
    fake.answer("DELETE", f"/v2/orders/{raw['id']}", status=404,
                json=problem_body(f"order [{sample}] not found", 40410000))
    await opened(pilot, app.action_cancel_order, ConfirmScreen, f"{where}: cancel dialog")
    count = len(app.state.rejections)
    app.screen.action_confirm()
    await soon(pilot, lambda: len(app.state.rejections) > count, f"{where}: 404")
    await checked(pilot, f"{where}: 404 toast")

    # A position with this symbol: the table, `x` on it (a warning unless it is a symbol).
    fake.answer("GET", "/v2/positions", json=[position("AAPL"), position(sample)])
    app.refresher.ask("positions")
    await soon(pilot, lambda: any(p.symbol == sample for p in app.state.positions), f"{where}: position shown")
    await checked(pilot, f"{where}: positions table")
    positions = app.main.query_one(PositionsTable)
    positions.move_cursor(row=positions.get_row_index(sample))
    await soon(pilot, lambda: positions.selected_symbol == sample, f"{where}: position selected")
    app.action_close_position()
    await checked(pilot, f"{where}: x on the position")
    await back_to_main(pilot)

    # Close all, refused for a position of this symbol with this message.
    fake.answer("DELETE", "/v2/positions", json=[
        {"symbol": sample, "status": 403, "body": {"code": 40310000, "message": sample, "symbol": sample}}])
    count = len(app.state.rejections)
    await opened(pilot, app.action_close_all, ConfirmScreen, f"{where}: close-all dialog")
    app.screen.action_confirm()
    await soon(pilot, lambda: len(app.state.rejections) > count, f"{where}: close all refused")
    await checked(pilot, f"{where}: close-all toasts")
    # Cancel all, refused for an order with this message (a numeric code: see
    # test_a_bulk_cancel_refused_with_a_code_that_is_not_a_number_leaves_the_app_up).
    fake.answer("DELETE", "/v2/orders", status=207, json=[
        {"id": raw["id"], "status": 500, "body": {"code": 50010000, "message": sample}}])
    count = len(app.state.rejections)
    await opened(pilot, app.action_cancel_all, ConfirmScreen, f"{where}: cancel-all dialog")
    app.screen.action_confirm()
    await soon(pilot, lambda: len(app.state.rejections) > count, f"{where}: cancel all refused")
    await checked(pilot, f"{where}: cancel-all toasts")

    # The rejections screen: this sample's 403, 404 and bulk refusals, and every one before.
    await opened(pilot, app.action_rejections, InfoScreen, f"{where}: rejections screen")
    await back_to_main(pilot)


async def feed_refusal(pilot, fake, sample: str, index: int, changes: list[Any]) -> None:
    """The stream refused with this text as its reason: the status bar and `i` show it.
    Then the stream is let in again."""
    app = pilot.app
    where = f"sample {index} {sample!r}"
    fake.auth_reply = refusal(sample)
    seen = len(changes)
    fake.push({"stream": "listening", "data": {"streams": []}})  # not subscribed: the stream reconnects

    def reached(state: str) -> Callable[[], bool]:
        def check() -> bool:
            if any(change.state == state for change in changes[seen:]):
                return True
            if app.stream is not None:
                app.stream.wake()  # cut the backoff short
            return False
        return check

    await soon(pilot, reached("unauthorized"), f"{where}: refused", timeout=10)
    await checked(pilot, f"{where}: refused, status bar")
    await opened(pilot, app.action_connection, InfoScreen, f"{where}: connection screen")
    await back_to_main(pilot)
    fake.auth_reply = authorized()
    seen = len(changes)
    await soon(pilot, reached("listening"), f"{where}: listening again", timeout=10)


class AppThread:
    """The app headless on a thread of its own, so that one app serves every example of a
    Hypothesis test: each example runs its coroutine on the app's loop."""

    def __init__(self, app: AlpacaApp, fake: Any) -> None:
        self.app, self.fake = app, fake
        self.changes: list[Any] = []
        self.rest_orders: list[dict] = []
        self.pilot: Any = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="app-under-test", daemon=True)
        self._stop: asyncio.Event | None = None
        self._session: Any = None

    def _hook(self, message: Any) -> None:
        if isinstance(message, StreamChanged):
            self.changes.append(message)

    async def _main(self, started: asyncio.Future) -> None:
        self._stop = asyncio.Event()
        try:
            async with self.app.run_test(size=SIZE, notifications=True, message_hook=self._hook) as pilot:
                self.pilot = pilot
                await ready(pilot)
                started.set_result(None)
                await self._stop.wait()
        except BaseException as err:
            if not started.done():
                started.set_exception(err)
            raise

    def start(self) -> AppThread:
        self.thread.start()

        async def begin() -> None:
            started = asyncio.get_running_loop().create_future()
            self._session = asyncio.ensure_future(self._main(started))
            await started

        asyncio.run_coroutine_threadsafe(begin(), self.loop).result(timeout=60)
        return self

    def run(self, make: Callable[..., Any], *args: Any) -> Any:
        """make(pilot, *args) on the app's loop, in the app's context (as run_test's own code runs)."""
        async def within() -> Any:
            active_app.set(self.app)
            return await make(self.pilot, *args)

        return asyncio.run_coroutine_threadsafe(within(), self.loop).result(timeout=60)

    def stop(self) -> None:
        async def end() -> None:
            if self._stop is not None:
                self._stop.set()
            if self._session is not None:
                await self._session

        try:
            asyncio.run_coroutine_threadsafe(end(), self.loop).result(timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()


@pytest.fixture
def app_thread(hostile, make_sim, tmp_path, monkeypatch) -> Iterator[AppThread]:
    monkeypatch.chdir(tmp_path)  # where an app.screenshot link would write
    sim, fake, app = start(hostile, make_sim)
    runner = AppThread(app, fake).start()
    yield runner
    runner.stop()


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck), database=None)
@given(sample=SAMPLE)
def test_any_server_text_leaves_the_app_up_and_the_terminal_untouched(app_thread, tmp_path, sample):
    """One app for every example: the text through a REST error, the stream (order, fill,
    unreadable update, refusal), the tables, the dialogs and the info screens."""
    runner = app_thread
    runner.index = getattr(runner, "index", -1) + 1
    runner.run(feed_rest_and_stream, runner.fake, sample, runner.index, runner.rest_orders)
    runner.run(feed_refusal, runner.fake, sample, runner.index, runner.changes)
    runner.run(lambda pilot: checked(pilot, f"sample {runner.index} {sample!r}: the end"))
    assert not any(path.suffix == ".svg" for path in tmp_path.rglob("*"))


# ---- the real terminal: the bytes the app writes ----------------------------------------------

# What Textual writes is CSI (cursor, colours, modes, synchronized output) and one OSC, 22,
# the mouse pointer's shape (checked on the harmless screen below); never another OSC
# (0 title, 52 clipboard, 8 hyperlink), DCS/APC/PM/SOS, a screen clear by CSI 2J/3J, RIS,
# BEL outside its OSC 22, C1 controls or a bidi override. None may appear once the
# server is hostile.
TEXTUALS_OWN = re.compile(rb"\x1b\]22;[a-z-]*\x07")
FOREIGN = (b"\x1b]", b"\x1bP", b"\x1b_", b"\x1b^", b"\x1bX", b"\x1b[2J", b"\x1b[3J", b"\x1bc", b"\x07",
           b"\xc2\x9b", b"\xc2\x9d", b"\xc2\x90", b"\xc2\x9e", b"\xc2\x9f", b"\xe2\x80\xae")


def drain(term: Any, seconds: float = 0.5) -> None:
    """Read what the app writes for a while (the rest of a repaint)."""
    try:
        term.read_until(b"\x00never seen", timeout=seconds)
    except AssertionError:
        pass


def test_in_a_real_terminal_no_escape_sequence_from_the_server_is_written(hostile, make_sim, tmp_path):
    from .test_run_modes import Terminal, terminal_env

    sim = make_sim(portfolio="sample")
    fake = hostile(upstream=sim.url)
    env = {**terminal_env(), "ALPACA_BASE_URL": fake.url, "ALPACA_API_KEY": KEY, "ALPACA_SECRET_KEY": SECRET,
           "ALPACA_TUI_AUDIT_LOG": str(tmp_path / "audit.jsonl"), "HOME": str(tmp_path),
           "COLUMNS": "120", "LINES": "40"}
    term = Terminal([], env, tmp_path, size=(40, 120))
    try:
        term.read_until(b"Positions (6)", b"Orders (3)", b"stream", timeout=20)
        drain(term)
        baseline = term.output
        # The same app, now with a hostile server: a position whose symbol sets the title,
        # writes the clipboard and clears the screen; a 403 with an OSC 52 in its message.
        fake.answer("GET", "/v2/positions", json=[position(TERMINAL_ATTACK)])
        fake.answer("GET", "/v2/orders", status=403,
                    json=problem_body("no \x1b]52;c;cHduZWQ=\x07 orders \x1b[2J\x9b2J\u202e here"))
        term.type("r")
        term.read_until(b"Positions (1)", b"PWNED", b"here", timeout=15)
        drain(term)
        hostile_part = term.output[len(baseline):]
        term.type("q")
        assert term.wait_exit(5) == 0
    finally:
        term.kill()
    baseline, hostile_part = TEXTUALS_OWN.sub(b"", baseline), TEXTUALS_OWN.sub(b"", hostile_part)
    for sequence in FOREIGN:
        assert sequence not in baseline, f"Textual itself writes {sequence!r}: FOREIGN needs another look"
        assert sequence not in hostile_part, f"{sequence!r} from the server reached the terminal"
    assert b"cHduZWQ=" in hostile_part  # the payload is shown, as text
    assert not list(tmp_path.glob("*.svg"))
