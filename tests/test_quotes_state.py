"""The quote book and the symbol plan (tui/state/quotes.py): plain logic, no server needed."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

from alpaca.trading.models import Position

from tui.broker.market import Bar, MarketSnapshot, QuoteTick, TradeTick
from tui.state.quotes import SNAPSHOT, STREAM, QuoteBook, plan_symbols, reprice_all, repriced

T0 = datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)


def position(symbol="AAPL", qty="50", avg="240", price="268", lastday="270", side="long"):
    q, a, p = D(qty), D(avg), D(price)
    return Position(asset_id="b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", symbol=symbol, exchange="NASDAQ",
                    asset_class="us_equity", avg_entry_price=str(a), qty=str(q), side=side,
                    market_value=str(q * p), cost_basis=str(q * a), unrealized_pl=str(q * (p - a)),
                    unrealized_plpc=str((q * (p - a)) / abs(q * a)), unrealized_intraday_pl="0",
                    unrealized_intraday_plpc="0", current_price=str(p), lastday_price=lastday,
                    change_today="0", qty_available=str(q))


def test_the_plan_streams_the_most_wanted_first_and_polls_the_rest():
    plan = plan_symbols([["TSLA"], ["AAPL", "MSFT"], ["AAPL", "NVDA"], ["SPY", "QQQ", ""]], limit=3)
    assert plan.streamed == ("TSLA", "AAPL", "MSFT")
    assert plan.polled == ("NVDA", "SPY", "QQQ")
    assert plan_symbols([["A", "B"]], limit=0).polled == ("A", "B")


def test_ticks_move_the_price_and_a_snapshot_never_puts_an_older_one_back():
    book = QuoteBook()
    changed = book.apply_ticks([QuoteTick("AAPL", D("99.9"), D("100.1"), D(3), D(2), T0),
                                TradeTick("AAPL", D("100"), D(10), T0)], received=1.0)
    assert changed == {"AAPL"}
    live = book.get("AAPL")
    assert (live.bid, live.ask, live.last, live.source) == (D("99.9"), D("100.1"), D("100"), STREAM)
    old = MarketSnapshot("AAPL", QuoteTick("AAPL", D("90"), D("91"), D(1), D(1), T0 - timedelta(seconds=5)),
                         TradeTick("AAPL", D("90.5"), D(1), T0 - timedelta(seconds=5)), None,
                         Bar("AAPL", T0, D(95), D(101), D(89), D(100), D(5000)),
                         Bar("AAPL", T0 - timedelta(days=1), D(90), D(96), D(88), D(95), D(9000)))
    book.apply_snapshots({"AAPL": old}, received=2.0)
    live = book.get("AAPL")
    assert live.last == D("100") and live.bid == D("99.9") and live.source == STREAM
    assert live.prev_close == D(95) and live.change == D(5) and live.change_pct == D("0.05263157894736842105263157895")
    newer = MarketSnapshot("AAPL", None, TradeTick("AAPL", D("101"), D(1), T0 + timedelta(seconds=1)),
                           None, None, None)
    book.apply_snapshots({"AAPL": newer}, received=3.0)
    assert book.get("AAPL").last == D("101") and book.get("AAPL").source == SNAPSHOT


def test_trades_extend_the_day_and_minute_bars_feed_the_sparkline():
    book = QuoteBook()
    book.apply_snapshots({"F": MarketSnapshot("F", None, None, None, Bar("F", T0, D(10), D(11), D(9), D(10), D(100)),
                                              None)}, received=0.0)
    book.apply_ticks([TradeTick("F", D("12"), D(5), T0)], received=1.0)
    live = book.get("F")
    assert (live.high, live.low, live.volume) == (D(12), D(9), D(105))
    seen = []
    book.bar_listeners.append(seen.append)
    minute = Bar("F", T0, D(12), D(12), D(12), D("11.5"), D(5))
    book.apply_ticks([minute, Bar("F", T0 + timedelta(minutes=1), D(12), D(12), D(12), D("11.8"), D(5))], 2.0)
    assert [close for _, close in book.get("F").minutes] == [D("11.5"), D("11.8")]
    assert seen[0] == minute
    book.apply_ticks([Bar("F", T0, D(1), D(1), D(1), D(1), D(1))], 3.0)  # late: ignored
    assert [close for _, close in book.get("F").minutes] == [D("11.5"), D("11.8")]


def test_a_position_at_the_live_price_is_valued_as_alpaca_values_it():
    long = repriced(position(price="268"), D("300"))
    assert D(long.market_value) == D(15000) and D(long.unrealized_pl) == D(3000)
    assert D(long.unrealized_plpc) == D("0.25")
    assert D(long.unrealized_intraday_pl) == D(50 * 30)
    short = repriced(position("TSLA", qty="-15", avg="374.87", price="432.77", lastday="430", side="short"), D("400"))
    assert D(short.market_value) == D(-6000)
    assert D(short.unrealized_pl) == D(-6000) - D("-15") * D("374.87")
    assert D(short.unrealized_plpc) < 0


def test_only_prices_that_came_after_the_positions_were_read_reprice_them():
    book = QuoteBook()
    book.apply_ticks([TradeTick("AAPL", D("300"), D(1), T0)], received=10.0)
    positions = [position()]
    assert reprice_all(positions, book.prices, since=11.0)[0] is positions[0]
    assert D(reprice_all(positions, book.prices, since=9.0)[0].current_price) == D(300)


def test_hostile_figures_leave_the_position_as_the_server_said():
    p = position()
    assert repriced(p, None) is p
    assert repriced(p, D("1e20")) is p  # value out of bounds: not a figure to show


def test_the_account_is_revalued_with_its_positions(make_sim):
    from tui.state.account import revalued

    sim = make_sim(portfolio="sample")
    account, positions = sim.client.get_account(), sim.client.get_all_positions()
    moved = [repriced(p, D(p.current_price) * 2) if p.symbol == "NVDA" else p for p in positions]
    after = revalued(account, moved)
    nvda = next(p for p in positions if p.symbol == "NVDA")
    assert D(after.equity) == D(account.equity) + D(nvda.market_value)
    assert D(after.long_market_value) == D(account.long_market_value) + D(nvda.market_value)
    assert D(after.short_market_value) == D(account.short_market_value)
    assert revalued(account, [*moved, repriced(nvda, None).model_copy(update={"market_value": "nan"})]) is account
