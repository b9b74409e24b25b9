"""The Orders pane's history views against the simulator: closed and all orders, newest
first, read a page (Alpaca's 500) at a time as the cursor nears the end, and filtered by
symbols and dates with `F`."""

from __future__ import annotations

from datetime import date

from alpaca.trading.requests import MarketOrderRequest

from tui.ui.order_history import HistoryFilter, parse_filter
from tui.ui.screens.prompt import PromptScreen
from tui.ui.widgets.orders import HistoryTable, OrdersPane

from .ui_support import loaded, make_app, screen_text, until


def test_the_filter_reads_symbols_and_dates_and_says_what_it_cannot():
    assert parse_filter("") == HistoryFilter()
    assert parse_filter("aapl MSFT aapl 2026-11-01..2026-11-30") == \
        HistoryFilter(("AAPL", "MSFT"), date(2026, 11, 1), date(2026, 11, 30))
    assert parse_filter("2026-12-01..") == HistoryFilter((), date(2026, 12, 1), None)
    assert parse_filter("..2026-12-01 TSLA") == HistoryFilter(("TSLA",), None, date(2026, 12, 1))
    assert parse_filter("2026-12-03") == HistoryFilter((), date(2026, 12, 3), date(2026, 12, 3))
    for junk, said in (("[/]", "neither a symbol nor a date"), ("2026-13-01", "not a date"),
                       ("2026-12-05..2026-12-01", "ends before it starts"), ("2026-12-01 2026-12-02", "one date"),
                       ("\x1b[2J", "neither")):
        problem = parse_filter(junk)
        assert isinstance(problem, str) and said in problem, (junk, problem)
    # New York days, whole: from midnight to the next midnight.
    whole = HistoryFilter((), date(2026, 12, 3), date(2026, 12, 3))
    assert whole.after.isoformat() == "2026-12-02T23:59:59.999999-05:00"
    assert whole.until.isoformat() == "2026-12-04T00:00:00-05:00"


async def test_closed_orders_page_past_500_as_the_cursor_nears_the_end(make_sim):
    sim = make_sim(open_orders=603)  # resting limits, then all canceled: closed (no seeded past)
    sim.client.cancel_orders()
    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        pane = app.main.query_one(OrdersPane)
        await pilot.press("3", "f")
        await until(pilot, lambda: "closed (500+)" in pane.border_title, timeout=45, what="the first page")
        table = pane.query_one(HistoryTable)
        assert table.has_focus and table.row_count == 500
        await pilot.press("G")  # to the end: the next page is read
        await until(pilot, lambda: "closed (603)" in pane.border_title, timeout=45, what="the second page")
        assert table.row_count == 603 and "canceled" in screen_text(app)
        await pilot.press("f")  # all: the same 603 (nothing is open any more), from the newest again
        await until(pilot, lambda: "all (500+)" in pane.border_title, timeout=45, what="all orders")
        assert table.cursor_row == 0


async def test_the_history_pages_across_1200_closed_orders_in_the_app(make_sim):
    """Three of Alpaca's pages (500 + 500 + 200) as the cursor reaches the end of each, with
    no order twice and none lost, newest first, compared with the simulator's own list."""
    sim = make_sim(closed_orders=1200)  # a year of canceled, expired and rejected orders
    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        pane = app.main.query_one(OrdersPane)
        await pilot.press("3", "f")
        await until(pilot, lambda: "closed (500+)" in pane.border_title, timeout=45, what="the first page")
        await pilot.press("G")
        await until(pilot, lambda: "closed (1,000+)" in pane.border_title, timeout=45, what="the second page")
        await pilot.press("G")
        await until(pilot, lambda: "closed (1,200)" in pane.border_title, timeout=45, what="the third page")
        ids = list(pane.history_by_row)
        assert len(ids) == len(set(ids)) == 1200
        # the simulator's answer, paged by hand over REST with `until`
        rest, until_at = [], None
        while page := sim.client.get("/orders", {"status": "closed", "limit": 500,
                                                 **({"until": until_at} if until_at else {})}):
            rest += [o["id"] for o in page if o["id"] not in rest]
            until_at = page[-1]["submitted_at"]
            if len(page) < 500:
                break
        assert ids == rest
        times = [pane.history_by_row[key].submitted_at for key in ids]
        assert times == sorted(times, reverse=True)
        assert {str(pane.history_by_row[key].status.value) for key in ids} == {"canceled", "expired", "rejected"}


async def test_F_filters_the_history_by_symbol_and_junk_is_refused_in_the_dialog(make_sim):
    sim = make_sim()  # no seeded past: the three below are the only closed orders
    for symbol in ("AAPL", "MSFT", "AAPL"):
        sim.client.submit_order(MarketOrderRequest(symbol=symbol, qty=1, side="buy", time_in_force="day"))
    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        pane = app.main.query_one(OrdersPane)
        await pilot.press("3", "F")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen), what="the filter dialog")
        await pilot.press("[", "/", "]", "enter")  # junk: said in the dialog, nothing read
        await until(pilot, lambda: "neither a symbol nor a date" in screen_text(app), what="the complaint")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("backspace", "backspace", "backspace", "a", "a", "p", "l", "enter")
        await until(pilot, lambda: not isinstance(app.screen, PromptScreen), what="the dialog closed")
        await until(pilot, lambda: "closed (2)" in pane.border_title, timeout=10, what="AAPL's two")
        assert pane.view == "closed" and "AAPL" in pane.border_subtitle
        rows = pane.query_one(HistoryTable)
        assert {pane.history_by_row[key].symbol for key in pane.history_by_row} == {"AAPL"}
        assert rows.row_count == 2
        await pilot.press("F")  # empty: the filter is gone, every closed order again
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        for _ in range(4):
            await pilot.press("backspace")
        await pilot.press("enter")
        await until(pilot, lambda: "closed (3)" in pane.border_title, timeout=10, what="all three")
