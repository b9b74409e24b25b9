"""The History screen (`h`) against the simulator: every account activity newest first,
read a page (100) at a time as the cursor nears the end, filtered by type, symbol and date
with `F`; `p` shows realized P&L over FIFO lots, checked against a hand-computed FIFO of
fills read by REST."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from alpaca.trading.requests import MarketOrderRequest

from tui.broker.activity import parse_fills
from tui.state.realized import realize
from tui.ui.screens.history import ActivityFilter, HistoryScreen, kind_word, parse_activity_filter, parse_range
from tui.ui.screens.prompt import PromptScreen
from tui.ui.widgets.table import LiveTable

from .conftest import wait_for
from .ui_support import loaded, make_app, screen_text, until


def rest_activities(sim, path: str = "", **params) -> list[dict]:
    """Every activity by REST, newest first, page after page."""
    out: list[dict] = []
    token = None
    while True:
        page = sim.client.get("/account/activities" + path,
                              {"page_size": 100, **params, **({"page_token": token} if token else {})})
        out.extend(page)
        if len(page) < 100:
            return out
        token = page[-1]["id"]


def cells(table: LiveTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]


async def open_history(pilot, app) -> HistoryScreen:
    await loaded(pilot)
    await pilot.press("h")
    await until(pilot, lambda: isinstance(app.screen, HistoryScreen), what="the history screen")
    screen = app.screen
    await until(pilot, lambda: not screen.loading and screen.shown, timeout=10, what="the first page")
    return screen


def test_the_filter_reads_types_symbols_and_dates_and_says_what_it_cannot():
    assert parse_activity_filter("") == ActivityFilter()
    assert parse_activity_filter("div fee AAPL aapl 2026-11-01..2026-11-30") == \
        ActivityFilter(("DIV", "FEE"), ("AAPL",), date(2026, 11, 1), date(2026, 11, 30))
    assert parse_activity_filter("$MA MA") == ActivityFilter(("MA",), ("MA",))
    assert parse_activity_filter("2026-12-03").words() == "2026-12-03..2026-12-03"
    for junk, said in (("[/]", "neither an activity type"), ("2026-13-01", "not a date"),
                       ("2026-12-05..2026-12-01", "ends before it starts"), ("2026-12-01 2026-12-02", "one date"),
                       ("\x1b[2J", "neither")):
        problem = parse_activity_filter(junk)
        assert isinstance(problem, str) and said in problem, (junk, problem)
    today = date(2026, 12, 7)
    assert parse_range("", today) == (date(2026, 11, 7), today)
    assert parse_range("2026-12-01..", today) == (date(2026, 12, 1), today)
    assert isinstance(parse_range("..2026-12-01", today), str)
    assert isinstance(parse_range("DIV", today), str)
    assert kind_word("DIV") == "dividend" and kind_word("XYZZY") == "xyzzy"


async def test_h_opens_every_activity_of_the_sample_newest_first(make_sim):
    sim = make_sim(portfolio="sample")
    wire = rest_activities(sim)
    kinds = {a["activity_type"] for a in wire}
    assert {"FILL", "DIV", "INT", "FEE", "JNLC", "CSD"} <= kinds, kinds
    app = make_app(sim)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_history(pilot, app)
        await until(pilot, lambda: not screen.more and not screen.loading, timeout=10, what="every page")
        table = screen.query_one("#history-table", LiveTable)
        rows = cells(table)
        assert len(rows) == len(wire)
        assert f"{len(wire)} activities" in screen_text(app)
        by_kind = {row[2]: row for row in rows}
        for got, sent in zip(rows, wire):
            assert got[2] == sent["activity_type"]
            if sent["activity_type"] == "FILL":
                assert got[3] == sent["symbol"] and got[4] == sent["side"].replace("_", " ")
                assert Decimal(got[6].replace(",", "")) == Decimal(sent["price"])
            else:
                amount = Decimal(got[7].replace(",", "").replace("$", ""))
                assert amount == Decimal(sent["net_amount"]), (got, sent)
                assert got[0] == sent["date"][:10]
        assert by_kind["DIV"][1] == "dividend" and by_kind["FEE"][1] == "fee" and by_kind["CSD"][1] == "deposit"
        await pilot.press("escape")
        assert not isinstance(app.screen, HistoryScreen)


async def test_more_than_a_page_is_read_as_the_cursor_goes_down(make_sim):
    sim = make_sim()
    for _ in range(130):
        sim.client.submit_order(MarketOrderRequest(symbol="AAPL", qty=1, side="buy", time_in_force="day"))
    wire = wait_for(lambda: (lambda found: found if len(found) == 130 else None)(rest_activities(sim)),
                    timeout=20)
    app = make_app(sim)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_history(pilot, app)
        table = screen.query_one("#history-table", LiveTable)
        # The first page was 100 of them; the cursor is far from its end, so no more yet.
        assert table.row_count == 100 and screen.more and "100+ activities" in screen_text(app)
        await pilot.press("G")
        await until(pilot, lambda: not screen.more and table.row_count == 130, timeout=10, what="the rest")
        assert "130 activities" in screen_text(app)
        ids = [str(key.value) for key in table.rows]
        assert ids == [a["id"] for a in wire]


async def test_F_filters_by_type_and_symbol_and_refuses_junk(make_sim):
    sim = make_sim(portfolio="sample")
    divs = rest_activities(sim, "/DIV")
    aapl_div = [a for a in divs if a.get("symbol") == "AAPL"]
    assert aapl_div
    app = make_app(sim)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_history(pilot, app)
        await pilot.press("F")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen), what="the filter dialog")
        await pilot.press("[", "/", "]", "enter")
        await until(pilot, lambda: "neither an activity type" in screen_text(app), what="the complaint")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("backspace", "backspace", "backspace", *"div", "enter")
        await until(pilot, lambda: app.screen is screen, what="the dialog closed")
        await until(pilot, lambda: not screen.loading and not screen.more, timeout=10, what="the dividends")
        table = screen.query_one("#history-table", LiveTable)
        assert [str(k.value) for k in table.rows] == [a["id"] for a in divs]
        assert f"{len(divs)} activities" in screen_text(app) and "filter: DIV" in screen_text(app)
        await pilot.press("F")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"DIV AAPL", "enter")
        await until(pilot, lambda: app.screen is screen and not screen.loading and not screen.more, timeout=10)
        assert [str(k.value) for k in table.rows] == [a["id"] for a in aapl_div]
        assert "filter: DIV · AAPL" in screen_text(app)
        # A type and one New York date: that day's interest only.
        interest = rest_activities(sim, "/INT")
        day = interest[len(interest) // 2]["date"][:10]
        await pilot.press("F")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*f"INT {day}", "enter")
        await until(pilot, lambda: app.screen is screen and not screen.loading and not screen.more, timeout=10)
        assert [str(k.value) for k in table.rows] == [a["id"] for a in interest if a["date"][:10] == day]
        assert f"filter: INT · {day}..{day}" in screen_text(app) and "1 activity" in screen_text(app)


def filled(sim, qty: int, side: str) -> None:
    order = sim.client.submit_order(MarketOrderRequest(symbol="AAPL", qty=qty, side=side, time_in_force="day"))
    wait_for(lambda: str(sim.client.get_order_by_id(order.id).status.value) == "filled", timeout=10)


def fifo_expected(sim) -> Decimal:
    fills = sorted(rest_activities(sim, "/FILL"), key=lambda a: a["transaction_time"])
    buys = [f for f in fills if f["side"] == "buy"]
    sell = next(f for f in fills if f["side"] == "sell")
    first = buys[0]
    assert Decimal(first["qty"]) == 2 and Decimal(sell["qty"]) == 2
    return (Decimal(sell["price"]) - Decimal(first["price"])) * 2


async def test_p_shows_realized_pnl_fifo_with_totals(make_sim):
    sim = make_sim()
    sim.set_price("AAPL", "100")
    filled(sim, 2, "buy")
    sim.set_price("AAPL", "110")
    filled(sim, 1, "buy")
    sim.set_price("AAPL", "120")
    filled(sim, 2, "sell")
    expected = fifo_expected(sim)
    assert expected > 0  # against the first lot (about 100), not the second (about 110)
    app = make_app(sim)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_history(pilot, app)
        await pilot.press("p")
        await until(pilot, lambda: screen.realized is not None and not screen.pnl_loading, timeout=10,
                    what="the fills read")
        closes = screen.realized.closes
        assert len(closes) == 1 and closes[0].realized == expected and closes[0].same_day
        text = screen_text(app)
        shown = f"+{expected:,.2f}"
        assert "FIFO lots" in text and text.count(shown) >= 4, text  # the row, today, the week, the range
        assert "same day" in text and "Every close matched" in text
        table = screen.query_one("#pnl-table", LiveTable)
        row = [str(c) for c in table.get_row_at(0)]
        buys = [a for a in rest_activities(sim, "/FILL") if a["side"] == "buy"]
        first = min(buys, key=lambda a: a["transaction_time"])
        assert row[3] == "2" and Decimal(row[4].replace(",", "")) == Decimal(first["price"])
        await pilot.press("p")
        assert screen.query_one("#history-table").display


async def test_closes_of_lots_from_before_the_range_are_costed_from_the_fills_before_it(make_sim):
    sim = make_sim(portfolio="sample")
    held = {p.symbol: Decimal(p.qty) for p in sim.client.get_all_positions()}
    symbol = next(s for s, q in sorted(held.items()) if q >= 2)
    order = sim.client.submit_order(MarketOrderRequest(symbol=symbol, qty=1, side="sell", time_in_force="day"))
    wait_for(lambda: str(sim.client.get_order_by_id(order.id).status.value) == "filled", timeout=10)
    # FIFO over the account's whole history: what the close made
    every = parse_fills(sim.client.get("/account/activities/FILL", {"page_size": 100}))
    [expected] = [c for c in realize(every).closes if c.order_id == str(order.id)]
    assert expected.realized and not expected.unmatched
    app = make_app(sim)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_history(pilot, app)
        await pilot.press("p")
        await until(pilot, lambda: screen.realized is not None and not screen.pnl_loading, timeout=10)
        # Only from today: the lot the sell closes was opened before; the fills before say its cost.
        await pilot.press("F")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        today = screen.desk.today().isoformat()
        await pilot.press(*f"{today}..", "enter")
        await until(pilot, lambda: app.screen is screen and not screen.pnl_loading and screen.pnl_range[0]
                    == screen.desk.today(), timeout=10)
        text = screen_text(app)
        assert "Every close matched" in text and "unmatched" not in text, text
        close = screen.realized.closes[-1]
        assert (close.realized, close.unmatched, close.lots) == (expected.realized, 0, expected.lots)


# ---- snapshots: the sample's past on a frozen clock, static prices ----------------------------

async def history_shown(pilot) -> None:
    from .test_snapshots import main_screen

    app = pilot.app
    await main_screen(pilot)
    await pilot.press("h")
    await until(pilot, lambda: isinstance(app.screen, HistoryScreen), what="the history screen")
    screen = app.screen
    await until(pilot, lambda: screen.shown and not screen.loading, timeout=10, what="the first page")
    await pilot.pause()


async def realized_shown(pilot) -> None:
    await history_shown(pilot)
    app = pilot.app
    screen = app.screen
    await pilot.press("p", "F")
    await until(pilot, lambda: isinstance(app.screen, PromptScreen), what="the range dialog")
    await pilot.press(*"2026-08-01..", "enter")  # the KO round trip
    await until(pilot, lambda: app.screen is screen and screen.realized is not None and not screen.pnl_loading
                and screen.pnl_range[0] == date(2026, 8, 1), timeout=10, what="the fills since August")
    await pilot.pause()


def test_history_80x24(make_sim, snap_compare):
    from .test_snapshots import demo_app

    assert snap_compare(demo_app(make_sim), terminal_size=(80, 24), run_before=history_shown)


def test_history_120x40(make_sim, snap_compare):
    from .test_snapshots import demo_app

    assert snap_compare(demo_app(make_sim), terminal_size=(120, 40), run_before=history_shown)


def test_realized_80x24(make_sim, snap_compare):
    from .test_snapshots import demo_app

    assert snap_compare(demo_app(make_sim), terminal_size=(80, 24), run_before=realized_shown)


async def test_a_failing_server_is_said_and_r_reads_again(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim, stream=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, stream=False)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert "Account history and realized P&L" in titles
        sim.set_faults(fail_rate=1.0)
        await pilot.press("h")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        screen = app.screen
        await until(pilot, lambda: "cannot read" in screen_text(app), timeout=30, what="the failure said")
        assert not screen.shown and not screen.more
        await pilot.press("p")
        await until(pilot, lambda: "cannot read the fills" in screen_text(app), timeout=30, what="the fills' failure")
        sim.set_faults(fail_rate=0.0)
        await pilot.press("r")
        await until(pilot, lambda: screen.realized is not None and not screen.pnl_loading, timeout=30)
        assert "FIFO lots" in screen_text(app) and "cannot read" not in screen_text(app)
        await pilot.press("p", "r")
        await until(pilot, lambda: screen.shown and not screen.more, timeout=30, what="the activities again")
        assert "cannot read" not in screen_text(app)


def test_server_text_is_plain_and_unknown_types_are_kept():
    from tui.broker.activities import parse_activity
    from tui.broker.activity import fill_of
    from tui.ui.screens.history import activity_cells

    odd = parse_activity({"id": "x", "activity_type": "NEWKIND", "date": "2026-11-02", "net_amount": "-1.5",
                          "description": "\x1b]52;c;AAAA\x07[red]pay[/red]\nnow", "symbol": "AAPL\x1b[2J"})
    cells = [text for text, _ in activity_cells(odd)]
    assert cells[1] == "newkind" and cells[2] == "NEWKIND" and cells[7] == "-1.50"
    assert all("\x1b" not in text and "\n" not in text for text in cells)
    assert cells[8] == "[red]pay[/red] now"  # shown as sent, never read as markup (LiveTable cells are plain)
    fill = parse_activity({"id": "f", "activity_type": "FILL", "transaction_time": "2026-11-02T15:00:00Z",
                           "symbol": "AAPL", "side": "buy", "qty": "2", "price": None})
    assert fill_of(fill) is None and fill_of(odd) is None
