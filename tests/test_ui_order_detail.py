"""The order detail screen through the real app against the real simulator: Enter on an
order (or a leg) opens it with every field; a bracket's legs with their own statuses; the
timeline of what the stream and REST said, followed live through a fill; `y` / `Y` copy the
ids; `c` cancels through the app's confirmation; Esc goes back; server text shown as plain
text; SVG snapshots at 80x24 and 120x40. And the timeline itself (tui/state/timeline.py):
duplicates once, bounded."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

from tui.config import Mode
from tui.state.account import AccountState
from tui.state.orders import accept_orders, apply_events, order_version
from tui.state.timeline import REST, STREAM, Timeline, timeline_of
from tui.ui.screens.confirm import ConfirmScreen
from tui.ui.screens.main import MainScreen
from tui.ui.screens.order_detail import OrderDetailScreen, field_lines, legs_table, timeline_table
from tui.ui.messages import TradeUpdate
from tui.ui.widgets.orders import OrdersPane, OrdersTable

from .market_support import run_blocking
from .ui_support import FROZEN_AT, QUIET, loaded, make_app, screen_text, until

T0 = datetime(2026, 11, 23, 15, 30, tzinfo=timezone.utc)


# ---- the timeline, alone ---------------------------------------------------------------------

def order(order_id="o1", status="new", filled="0", avg=None, at=T0, legs=None, **more):
    return SimpleNamespace(id=order_id, status=status, filled_qty=filled, filled_avg_price=avg, updated_at=at,
                           legs=legs, **more)


def event(name, o, *, execution_id="", qty=None, price=None, at=None):
    data = {"event": name, "timestamp": (at or o.updated_at).isoformat(), "order": {"id": o.id}}
    if execution_id:
        data.update(execution_id=execution_id, qty=qty, price=price)
    return data


def test_an_event_delivered_twice_is_recorded_once():
    timeline = Timeline(lambda: T0)
    new = order()
    fill = order(status="filled", filled="10", avg="101.5", at=T0 + timedelta(seconds=5))
    for data, o in [(event("new", new), new), (event("new", new), new),
                    (event("fill", fill, execution_id="x1", qty="10", price="101.5"), fill),
                    (event("fill", fill, execution_id="x1", qty="10", price="101.5"), fill)]:
        timeline.stream_event(data, o)
    entries = timeline.entries("o1")
    assert [(e.source, e.what) for e in entries] == [(STREAM, "new"), (STREAM, "fill")]
    assert entries[1].fill_qty == "10" and entries[1].fill_price == "101.5" and entries[1].filled_avg_price == "101.5"
    assert entries[1].event_at == T0 + timedelta(seconds=5)
    assert timeline.latest("o1") is fill


def test_rest_answers_are_recorded_when_the_order_changed():
    timeline = Timeline(lambda: T0)
    timeline.rest_answer(order())
    timeline.rest_answer(order())  # the same answer again: nothing new
    timeline.rest_answer(order(status="partially_filled", filled="3", at=T0 + timedelta(seconds=1)))
    assert [(e.source, e.what, e.filled_qty) for e in timeline.entries("o1")] == [
        (REST, "new", "0"), (REST, "partially_filled", "3")]


def test_an_order_this_app_placed_is_recorded_from_its_post_answer_as_rest():
    timeline = Timeline(lambda: T0)
    placed = order(status="pending_new")
    timeline.stream_event({"event": "submitted"}, placed)  # how the app applies the POST's answer
    timeline.stream_event(event("new", order(at=T0 + timedelta(seconds=1))), order(at=T0 + timedelta(seconds=1)))
    assert [(e.source, e.what, e.status) for e in timeline.entries("o1")] == [
        (REST, "submitted", "pending_new"), (STREAM, "new", "new")]


def test_the_timeline_is_bounded_per_order_and_in_orders():
    timeline = Timeline(lambda: T0, per_order=5, orders=3)
    for n in range(20):
        o = order("o1", at=T0 + timedelta(seconds=n))
        timeline.stream_event(event("new", o), o)
    assert len(timeline.entries("o1")) == 5
    assert timeline.entries("o1")[-1].updated_at == T0 + timedelta(seconds=19)
    for n in range(2, 6):
        o = order(f"o{n}")
        timeline.stream_event(event("new", o), o)
    assert len(timeline) == 3 and timeline.entries("o1") == () and timeline.entries("o5")


def test_apply_events_and_accept_orders_record_and_tell_the_listeners():
    state = AccountState(lambda: T0)
    heard: list[set[str]] = []
    timeline_of(state).listen(heard.append)
    first = order()
    accept_orders(state, {"o1": first}, {"o1": order_version(first)})
    accept_orders(state, {"o1": first}, {"o1": order_version(first)})  # unchanged: not again
    fill = order(status="filled", filled="1", avg="9.5", at=T0 + timedelta(seconds=3))
    data = event("fill", fill, execution_id="e1", qty="1", price="9.5")
    apply_events(state, [(data, fill), (dict(data), fill)])  # the same event twice in one batch
    assert [(e.source, e.what) for e in timeline_of(state).entries("o1")] == [(REST, "new"), (STREAM, "fill")]
    assert heard == [{"o1"}, {"o1"}]


def test_hostile_server_text_renders_as_plain_text():
    from rich.console import Console

    hostile = order("id-[bold]x[/]", status="new[/]", at=T0, client_order_id="\x1b[31mred\x1b]52;c;AAAA\x07[/]",
                    symbol="A[/b]\x1b[2J", side="buy", type="limit", qty="1", time_in_force="day",
                    extended_hours=False, limit_price="1", submitted_at=T0, created_at=T0)
    hostile.legs = [order("leg[/]", status="held[red]", side="sell", type="limit", order_type=None, qty="1",
                          limit_price="2", stop_price=None)]
    timeline = Timeline(lambda: T0)
    timeline.stream_event({"event": "new[/]", "order": {"id": hostile.id}}, hostile)
    console = Console(width=100, record=True, color_system=None, file=open("/dev/null", "w"))
    for renderable in (field_lines(hostile), legs_table(hostile.legs),
                       timeline_table([("", e) for e in timeline.entries(hostile.id)], legs=True)):
        console.print(renderable)
    text = console.export_text()
    assert "id-[bold]x[/]" in text and "new[/]" in text and "held[red]" in text
    assert "\x1b" not in text and "red[/]" in text


# ---- the screen, through the app -----------------------------------------------------------

def detail_app(make_sim: Any, **kwargs: Any):
    sim = make_sim(portfolio="sample", **kwargs)
    return sim, make_app(sim, intervals=QUIET)


async def resting_bracket(pilot, sim) -> str:
    """A bracket buy of INTC far below the market (its legs held): its id, once the app
    has it with its legs."""
    from alpaca.trading.requests import LimitOrderRequest, StopLossRequest, TakeProfitRequest

    app = pilot.app
    placed = await run_blocking(sim.client.submit_order, LimitOrderRequest(
        symbol="INTC", qty=2, side="buy", time_in_force="gtc", limit_price=1.00, order_class="bracket",
        take_profit=TakeProfitRequest(limit_price=90.0), stop_loss=StopLossRequest(stop_price=0.5)))
    order_id = str(placed.id)
    await until(pilot, lambda: order_id in app.state.orders and app.state.orders[order_id].legs,
                timeout=10, what="the bracket with its legs")
    return order_id


def orders_of(app) -> dict[str, Any]:
    return dict(app.main.query_one(OrdersPane).orders_by_row)


async def open_order(pilot, order_id: str) -> OrderDetailScreen:
    """Select the order's row and press Enter; wait until the screen has read it."""
    app = pilot.app
    table = app.main.query_one(OrdersTable)
    await until(pilot, lambda: order_id in orders_of(app), what="the order's row")
    table.focus()
    table.move_cursor(row=table.get_row_index(order_id))
    await pilot.pause()
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, OrderDetailScreen) and app.screen.order_id == order_id,
                what="the order's detail")
    screen = app.screen
    await until(pilot, lambda: not screen.reading, what="its REST read")
    await pilot.pause()
    return screen


def by_symbol(app, symbol: str) -> Any:
    return next(o for o in app.state.orders.values() if o.symbol == symbol)


async def test_enter_on_a_resting_order_shows_its_fields_and_esc_goes_back(make_sim):
    sim, app = detail_app(make_sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        googl = by_symbol(app, "GOOGL")
        await open_order(pilot, str(googl.id))
        text = screen_text(app)
        assert str(googl.id) in text and str(googl.client_order_id) in text
        assert "BUY 15 GOOGL lmt L 285.51" in text
        for label, value in (("Symbol", "GOOGL"), ("Type", "limit"), ("Limit", "285.51"), ("Status", "new"),
                             ("TIF", "gtc"), ("Class", "simple")):
            assert any(f"{label} " in line and value in line for line in text.splitlines()), (label, text)
        assert "REST" in text and "Timeline" in text
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), what="the main screen")
        assert app.main.query_one(OrdersTable).has_focus


async def test_y_copies_the_id_and_Y_the_client_order_id(make_sim):
    sim, app = detail_app(make_sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        meta = by_symbol(app, "META")
        await open_order(pilot, str(meta.id))
        await pilot.press("y")
        await until(pilot, lambda: app.clipboard == str(meta.id), what="the id copied")
        await pilot.press("Y")
        await until(pilot, lambda: app.clipboard == str(meta.client_order_id), what="the client id copied")
        from tui.ui import compat
        said = [n.message for n in compat.shown_notifications(app)]
        assert any("order id" in m and str(meta.id) in m for m in said)
        assert any("client_order_id" in m for m in said)


async def test_a_fill_while_open_shows_on_the_timeline(make_sim):
    from alpaca.trading.requests import LimitOrderRequest

    sim, app = detail_app(make_sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        placed = await run_blocking(sim.client.submit_order, LimitOrderRequest(
            symbol="INTC", qty=3, side="buy", time_in_force="gtc", limit_price=1.00))
        order_id = str(placed.id)
        screen = await open_order(pilot, order_id)
        timeline = timeline_of(app.state)
        await until(pilot, lambda: any(e.source == STREAM and e.what == "new" for e in timeline.entries(order_id)),
                    what="the stream's new")
        await until(pilot, lambda: "stream" in screen_text(app), what="the stream's entry shown")
        await run_blocking(sim.set_price, "INTC", "0.90")  # the market comes down to the limit
        await until(pilot, lambda: screen.order.status == "filled" or str(getattr(screen.order.status, "value", ""))
                    == "filled", timeout=10, what="the fill on screen")
        await until(pilot, lambda: not screen.reading and any(e.source == REST and e.status == "filled"
                                                              for e in timeline.entries(order_id)),
                    what="REST's word on the fill")
        await pilot.pause(0.1)
        entries = [(e.source, e.what) for e in timeline.entries(order_id)]
        stream = [what for source, what in entries if source == STREAM]
        assert stream.index("new") < stream.index("fill"), entries
        assert entries.count((STREAM, "fill")) == 1
        text = screen_text(app)
        assert "fill (filled)" in text and "3 @ 0.9" in text, text
        assert "Filled qty" in text and "filled" in text.splitlines()[0]
        # The order ended: c says so, no confirmation.
        await pilot.press("c")
        await pilot.pause(0.1)
        assert app.screen is screen


async def test_c_cancels_through_the_apps_confirmation(make_sim):
    sim, app = detail_app(make_sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        amzn = by_symbol(app, "AMZN")
        order_id = str(amzn.id)
        screen = await open_order(pilot, order_id)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        assert order_id in screen_text(app)
        await pilot.press("y")
        await until(pilot, lambda: app.screen is screen, what="back on the detail")
        await until(pilot, lambda: str(getattr(screen.order.status, "value", screen.order.status)) == "canceled",
                    timeout=10, what="the cancel on screen")
        assert "canceled" in screen_text(app)


async def test_a_bracket_shows_its_legs_and_a_leg_opens_too(make_sim):
    sim, app = detail_app(make_sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        order_id = await resting_bracket(pilot, sim)
        await open_order(pilot, order_id)
        text = screen_text(app)
        assert "Legs" in text and "take profit" in text and "stop loss" in text
        legs = app.state.orders[order_id].legs
        leg_lines = [line for line in text.splitlines() if "take profit" in line or "stop loss" in line]
        assert all("held" in line for line in leg_lines[:2]), leg_lines
        assert "bracket" in text
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        leg_id = str(legs[0].id)
        leg = await open_order(pilot, leg_id)
        assert leg.parent_id == order_id
        text = screen_text(app)
        assert leg_id in text and "held" in text.splitlines()[0] and "could not read" not in text, text


async def test_a_long_detail_scrolls_at_80x24(make_sim):
    sim, app = detail_app(make_sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        order_id = await resting_bracket(pilot, sim)
        screen = await open_order(pilot, order_id)
        body = screen.query_one("#order-detail-body")
        await until(pilot, lambda: body.max_scroll_y > 0, what="more than a screen")
        assert "Timeline" not in screen_text(app)
        await pilot.press("end")
        await until(pilot, lambda: "Timeline" in screen_text(app), what="scrolled to the timeline")
        assert "Esc" in screen_text(app) or "esc" in screen_text(app)  # the footer stays


async def test_server_markup_and_escapes_in_an_order_show_as_plain_text(make_sim):
    sim, app = detail_app(make_sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        googl = by_symbol(app, "GOOGL")
        hostile = googl.model_copy(update={"client_order_id": "[bold]x[/] \x1b[31mred\x1b]52;c;QUFB\x07",
                                           "updated_at": googl.updated_at + timedelta(seconds=1)})
        app.post_message(TradeUpdate({"event": "new[/]", "order": {}}, hostile))
        await until(pilot, lambda: app.state.orders[str(googl.id)].client_order_id == hostile.client_order_id,
                    what="the hostile order applied")
        screen = await open_order(pilot, str(googl.id))
        await until(pilot, lambda: "[bold]x[/]" in screen_text(app), what="the markup shown as text")
        text = screen_text(app)
        assert "\x1b" not in text and "new[/]" in text
        await pilot.press("Y")
        await until(pilot, lambda: app.clipboard.startswith("[bold]x[/] "), what="copied, cleaned")
        assert "\x1b" not in app.clipboard and "\x07" not in app.clipboard
        assert app.screen is screen


# ---- SVG snapshots ---------------------------------------------------------------------------

def snapshot_app(make_sim: Any):
    sim = make_sim(start_at=FROZEN_AT, portfolio="sample", seed=1)
    return make_app(sim, mode=Mode.DEMO, intervals=QUIET)


async def googl_detail(pilot: Any) -> None:
    from .test_snapshots import pin_status

    app = pilot.app
    await loaded(pilot)
    pin_status(app)
    await open_order(pilot, str(by_symbol(app, "GOOGL").id))
    await pilot.pause()


def test_order_detail_80x24(make_sim, snap_compare):
    assert snap_compare(snapshot_app(make_sim), terminal_size=(80, 24), run_before=googl_detail)


def test_order_detail_120x40(make_sim, snap_compare):
    assert snap_compare(snapshot_app(make_sim), terminal_size=(120, 40), run_before=googl_detail)
