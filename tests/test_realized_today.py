"""Today's realized P&L in the Account pane: the lots held at the open worked back from the
fills before it, newest first (tui.state.realized.lots_held), checked by hand, against
realize() over the whole history (a property), and through the app against the simulator
(the figure equals realize() over every fill the simulator reports)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

from alpaca.trading.requests import MarketOrderRequest
from hypothesis import given
from hypothesis import strategies as st

from tui.broker.activity import FillRow, parse_fills
from tui.state.realized import Lot, lots_held, realize
from tui.state.realized_today import DayLots, positions_at_start
from tui.ui.widgets.account import AccountPane

from .ui_support import loaded, make_app, until

T0 = datetime(2026, 11, 16, 15, 0, tzinfo=timezone.utc)  # Monday 10:00 in New York


def fill(n: int, side: str, qty, price, symbol: str = "AAPL", day: int = 0) -> FillRow:
    return FillRow(f"f{n:04d}", T0 + timedelta(days=day, minutes=n), symbol, side, D(str(qty)), D(str(price)), "o")


def test_the_newest_openings_are_the_lots_held():
    fills = [fill(1, "buy", 10, 100), fill(2, "buy", 10, 110, day=1), fill(3, "sell", 5, 120, day=2),
             fill(4, "buy", 5, 120, day=3)]
    lots, missing = lots_held({"AAPL": D(20)}, reversed(fills))
    # the sell closed 5 of the first lot: 5 @ 100 are left, then 10 @ 110 and 5 @ 120
    assert [(lot.qty, lot.price) for lot in lots] == [(5, 100), (10, 110), (5, 120)] and not missing
    assert lots == list(realize(fills).open_lots["AAPL"])


def test_a_short_and_a_crossing_sell():
    # long 5, a sell of 8 crosses to short 3, another short sale of 2: short 5 @ 3 @ 50, 2 @ 49
    fills = [fill(1, "buy", 5, 40, "KO"), fill(2, "sell", 8, 50, "KO"), fill(3, "sell_short", 2, 49, "KO")]
    lots, missing = lots_held({"KO": D(-5)}, reversed(fills))
    assert [(lot.qty, lot.price) for lot in lots] == [(-3, 50), (-2, 49)] and not missing


def test_what_the_fills_do_not_account_for_is_of_unknown_cost():
    lots, missing = lots_held({"AAPL": D(15), "MSFT": D(3)}, reversed([fill(1, "buy", 10, 100)]))
    assert missing == {"AAPL": D(5), "MSFT": D(3)}
    assert [(lot.symbol, lot.qty, lot.price) for lot in lots] == [
        ("AAPL", 5, None), ("AAPL", 10, D(100)), ("MSFT", 3, None)]
    # a close today of 8 AAPL: 5 of unknown cost first (unmatched), then 3 of the known lot
    day = T0.date() + timedelta(days=1)
    today = DayLots(day, {"AAPL": D(15)}, tuple(lots)).realized([fill(9, "sell", 8, 104, day=1)])
    assert today.realized == D(12) and today.unmatched == {"AAPL": D(5)} and not today.complete


def test_it_stops_reading_once_every_position_is_accounted_for():
    read = []

    def newest_first():
        for n in range(100, 0, -1):
            read.append(n)
            yield fill(n, "buy", 1, 100 + n)

    lots, _ = lots_held({"AAPL": D(3)}, newest_first())
    assert len(read) == 4 and [lot.price for lot in lots] == [198, 199, 200]


def test_the_start_of_the_day_is_now_minus_the_day_s_fills():
    day = T0.date()
    start = positions_at_start({"AAPL": D(12), "KO": D(0)},
                               [fill(1, "buy", 2, 1), fill(2, "sell", 4, 1, "KO"), fill(3, "buy", 7, 1, day=-1)], day)
    assert start == {"AAPL": D(10), "KO": D(4)}


steps = st.lists(st.tuples(st.sampled_from(["AAPL", "KO"]), st.integers(-40, 40).filter(bool),
                           st.integers(1, 500)), min_size=1, max_size=40)


@given(steps)
def test_the_lots_worked_back_are_those_realize_keeps_open(moves):
    """For any history, the lots worked back from the final positions equal the lots that
    FIFO over the whole history leaves open: price, quantity and when they were opened."""
    fills, held = [], {"AAPL": D(0), "KO": D(0)}
    for n, (symbol, change, cents) in enumerate(moves):
        side = "buy" if change > 0 else ("sell_short" if held[symbol] <= 0 else "sell")
        fills.append(fill(n, side, abs(change), D(cents) / 100, symbol))
        held[symbol] += change
    lots, missing = lots_held(held, reversed(fills))
    assert not missing
    expected = [lot for symbol in sorted(held) for lot in realize(fills).open_lots.get(symbol, ())]
    assert lots == expected


# ---- the app, against the simulator ---------------------------------------------------------------

async def test_the_account_pane_shows_today_s_realized_as_fifo_over_every_fill(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        pane = app.main.query_one(AccountPane)
        await until(pilot, lambda: pane.realized is not None and pane.realized[1] == "±0.00",
                    what="nothing realized yet today")
        for symbol, qty in (("AAPL", 7), ("MSFT", 3)):  # closes of lots bought in the sample's past
            sim.client.submit_order(MarketOrderRequest(symbol=symbol, qty=qty, side="sell", time_in_force="day"))
        before = len(sim.client.get("/account/activities/FILL", {"page_size": 100}))
        every = await until(pilot, lambda: (lambda got: len(got) == before + 2 and parse_fills(got))(
            sim.client.get("/account/activities/FILL", {"page_size": 100})), what="both sells filled")
        assert len(every) < 100  # one page: the whole history
        expected = realize(every).today(sim.clock.now() if sim.clock else datetime.now(timezone.utc))
        assert expected.closes == 2 and expected.complete and expected.realized != 0
        shown = f"{'+' if expected.realized > 0 else '-'}{abs(expected.realized):,.2f}"
        await until(pilot, lambda: pane.realized[1] == shown, what=f"Realized {shown}")
        assert pane.realized[0] == "Realized"


# ---- the Account pane's layouts -------------------------------------------------------------------

def test_every_account_figure_is_whole_at_every_width():
    """Realized sits beside the day's P&L in three lines where that fits (three columns, or
    the market values sharing a line), else on a line of its own: never a figure in part."""
    from types import SimpleNamespace

    from rich.console import Console

    from tui.ui.widgets.account import AccountView, realized_figure

    for scale in (1, 10, 10_000):
        account = SimpleNamespace(
            equity=str(102586.30 * scale), last_equity=str(103007.15 * scale), cash=str(39657.15 * scale),
            buying_power=str(249199.80 * scale), long_market_value=str(69425.80 * scale),
            short_market_value=str(-6496.65 * scale), trading_blocked=False, account_blocked=False,
            trade_suspended_by_user=False)
        for realized in (realized_figure(D("-1234.5") * scale, complete=False), realized_figure(None)):
            view = AccountView(account, realized)
            figures = [f[1] for f in (*view.left, *view.right, *view.day, realized)]
            narrowest = min(needed for needed, _, _ in view.layouts())  # one figure a line
            for width in range(narrowest, 140):
                console = Console(width=width, record=True, file=open("/dev/null", "w"))
                console.print(view)
                text = console.export_text()
                for figure in figures:
                    assert figure in text, (scale, width, figure, text)
                if scale == 1 and width >= 50:
                    assert len(text.splitlines()) == 3, (width, text)  # 80 columns: the pane is 50 wide
    assert realized_figure(D("12.5"), complete=False)[1] == "+12.50*"
    assert realized_figure(None)[1] == "…"
