"""Property: any text a server sends, through every place that shows server text, leaves
the app up and reaches the terminal only as plain, printable text (test_hostile_text.py
has one test per place and per bug found; this sends arbitrary text through all of them).

One app serves every example of a test (AppThread): each example is a walk of the app
with the sample in the fake Alpaca's answers (tests/hostile.py). Two walks, two tests:
the REST answers (a refused order, refused bulk close and cancel, the rejections screen)
and the stream and tables (an order, its fill and an unreadable update, its cancel dialog
and a 404, a position and `x` on it, a refused stream and the connection screen).

The default profile always runs two explicit examples, every fragment below in one text
(each bug these tests were written for, at once, the worst of them first) and a dense mix
of them long enough to wrap and be cut, and draws one more; HYPOTHESIS_PROFILE=thorough
draws 150.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Iterator

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings, strategies as st
from textual.css.query import NoMatches
from textual.widgets._toast import Toast, ToastRack

from tui.broker.ticket import OrderPlan
from tui.ui import compat
from tui.ui.app import AlpacaApp
from tui.ui.messages import StreamChanged
from tui.ui.screens.confirm import ConfirmScreen
from tui.ui.screens.info import InfoScreen
from tui.ui.widgets.orders import OrdersTable
from tui.ui.widgets.positions import PositionsTable

from .harness.profiles import examples
from .hostile import hostile  # noqa: F401  (the fixture)
from .hostile_screen import (SIZE, assert_up_and_clean, authorized, fill_update, new_update, order, position,
                             problem_body, ready, refusal, start)
from .ui_support import screen_text

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
# Every fragment at once, in the order above and reversed (an escape sequence cut short by
# the next fragment, a markup tag closed by another's bracket), after DENSE: every kind of
# trouble in its first characters, since a table cell or a toast shows only the start of
# a long text.
DENSE = "\x01[/]\x1b[2J\x9b\u202e[@click=app.quit]x[/]\x00\x1b]52;c;cHduZWQ=\x07\x7f\x85漢\u2066\x08[b]"
EVERY_FRAGMENT = DENSE + "".join(FRAGMENTS) + "".join(reversed(FRAGMENTS))
PROPERTY = settings(max_examples=examples(1, 150), deadline=None, phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck), database=None)

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


async def fresh(pilot) -> None:
    """An example starts on the main screen (one that failed may have left a dialog open)
    without the toasts of the examples before (each one's are checked while shown)."""
    await back_to_main(pilot)
    pilot.app.clear_notifications()


class AppThread:
    """The app headless on a thread of its own, so that one app serves every example of a
    Hypothesis test: each example runs its coroutine on the app's loop."""

    def __init__(self, app: AlpacaApp, fake: Any) -> None:
        self.app, self.fake = app, fake
        self.changes: list[Any] = []  # every StreamChanged the app saw
        self.rest_orders: list[dict] = []  # orders the fake lists, one more each example
        self.index = -1  # the example being walked
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
            compat.make_active(self.app)
            return await make(self.pilot, *args)

        return asyncio.run_coroutine_threadsafe(within(), self.loop).result(timeout=60)

    def walk(self, make: Callable[..., Any], sample: str) -> None:
        """One example: `make(pilot, self, sample, where)` from a fresh main screen, then the end state checked."""
        self.index += 1
        where = f"sample {self.index} {sample!r}"
        self.run(fresh)
        self.run(make, self, sample, where)
        self.run(lambda pilot: checked(pilot, f"{where}: the end"))

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


# ---- the REST answers ----------------------------------------------------------------------

async def rest_answers(pilot, runner: AppThread, sample: str, where: str) -> None:
    app, fake = pilot.app, runner.fake

    # A 403 on POST /v2/orders whose message is the text: toast, status bar.
    fake.answer("POST", "/v2/orders", status=403, json=problem_body(sample))
    count = len(app.state.rejections)
    app.flow.send_order(PLAN)
    await soon(pilot, lambda: len(app.state.rejections) > count, f"{where}: 403")
    await checked(pilot, f"{where}: 403 toast and status bar")

    # Close all, refused for a position of this symbol with this message.
    fake.answer("DELETE", "/v2/positions", json=[
        {"symbol": sample, "status": 403, "body": {"code": 40310000, "message": sample, "symbol": sample}}])
    count = len(app.state.rejections)
    await opened(pilot, app.action_close_all, ConfirmScreen, f"{where}: close-all dialog")
    app.screen.action_confirm()
    await soon(pilot, lambda: len(app.state.rejections) > count, f"{where}: close all refused")
    await checked(pilot, f"{where}: close-all toasts")

    # Cancel all, refused for an open order with this message (a numeric code: see
    # test_a_bulk_cancel_refused_with_a_code_that_is_not_a_number_leaves_the_app_up).
    order_id = str(next(iter(app.state.orders)))
    fake.answer("DELETE", "/v2/orders", status=207, json=[
        {"id": order_id, "status": 500, "body": {"code": 50010000, "message": sample}}])
    count = len(app.state.rejections)
    await opened(pilot, app.action_cancel_all, ConfirmScreen, f"{where}: cancel-all dialog")
    app.screen.action_confirm()
    await soon(pilot, lambda: len(app.state.rejections) > count, f"{where}: cancel all refused")
    await checked(pilot, f"{where}: cancel-all toasts")

    # The rejections screen: this sample's refusals, and every one before.
    await opened(pilot, app.action_rejections, InfoScreen, f"{where}: rejections screen")
    await back_to_main(pilot)


@PROPERTY
@given(sample=SAMPLE)
@example(sample=EVERY_FRAGMENT)
@example(sample=DENSE * 60)
def test_any_server_text_in_a_rest_answer_leaves_the_app_up_and_the_terminal_untouched(app_thread, tmp_path,
                                                                                       sample):
    """The text as a refused order's message (toast, status bar), a refused bulk close's
    symbol and message, a refused bulk cancel's message, on the rejections screen."""
    app_thread.walk(rest_answers, sample)
    assert not any(path.suffix == ".svg" for path in tmp_path.rglob("*"))  # no screenshot link ran


# ---- the stream and the tables ---------------------------------------------------------------

async def stream_and_tables(pilot, runner: AppThread, sample: str, where: str) -> None:
    app, fake = pilot.app, runner.fake

    # An order with this symbol, from REST and the stream; a fill; a trade_update whose
    # event, status and side are this text (unreadable: the app asks REST instead).
    at = datetime.now(timezone.utc) + timedelta(days=1, seconds=runner.index)
    raw = order(sample, submitted_at=at.isoformat(), created_at=at.isoformat(), updated_at=at.isoformat())
    runner.rest_orders.append(raw)
    fake.answer("GET", "/v2/orders", json=runner.rest_orders[-4:])
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

    # The stream refused with this text as its reason: the status bar and `i` show it.
    # Then the stream is let in again.
    changes = runner.changes
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


@PROPERTY
@given(sample=SAMPLE)
@example(sample=EVERY_FRAGMENT)
@example(sample=DENSE * 60)
def test_any_server_text_in_the_stream_and_tables_leaves_the_app_up_and_the_terminal_untouched(app_thread,
                                                                                               tmp_path, sample):
    """The text as an order's symbol (REST and stream), a fill's symbol, an unreadable
    update's event, status and side, a 404's message in the cancel dialog's toast, a
    position's symbol (table, `x`), a stream refusal's reason (status bar, `i`)."""
    app_thread.walk(stream_and_tables, sample)
    assert not any(path.suffix == ".svg" for path in tmp_path.rglob("*"))  # no screenshot link ran
