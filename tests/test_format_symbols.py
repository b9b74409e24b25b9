"""Formatting of what the tables show: OCC option symbols, crypto figures, server words,
and bounds on every figure from outside (no crash, no gigabyte string: a `—`)."""

from __future__ import annotations

import tracemalloc
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from alpaca.trading.models import Order, Position

from tui.broker.activity import FillRow, parse_fill
from tui.ui.format import (DASH, dec, instrument, money, multiplier, ny_time, parse_option, price, quantity,
                           signed_money, signed_pct, word)
from tui.ui.widgets.account import account_figures
from tui.ui.widgets.orders import fill_rows, order_rows
from tui.ui.widgets.positions import TOTAL_KEY, position_rows

HUGE = ("1e999999999", "NaN", "1e400", "-Infinity", "1" * 80)


def position(symbol="AAPL", qty="10", current="110", avg="100", value=None, pl="100", plpc="0.1", today="5",
             side="long", asset_class="us_equity", exchange="NASDAQ", cost=None) -> Position:
    """A Position as alpaca-py parses one from the server."""
    return Position(asset_id=uuid.uuid4(), symbol=symbol, exchange=exchange, asset_class=asset_class,
                    avg_entry_price=avg, qty=qty, side=side,
                    market_value=value if value is not None else str(Decimal(qty) * Decimal(current)),
                    cost_basis=cost if cost is not None else str(abs(Decimal(qty) * Decimal(avg))),
                    unrealized_pl=pl, unrealized_plpc=plpc, unrealized_intraday_pl=today,
                    unrealized_intraday_plpc="0", current_price=current, lastday_price=current, change_today="0")


def order(symbol="AAPL", asset_class="us_equity", extended_hours=False, **fields) -> Order:
    now = datetime(2026, 11, 23, 15, 30, tzinfo=timezone.utc)
    raw = dict(id=uuid.uuid4(), client_order_id="c", created_at=now, updated_at=now, submitted_at=now,
               symbol=symbol, asset_class=asset_class, qty="1", filled_qty="0", order_class="simple",
               type="limit", side="buy", time_in_force="day", limit_price="1.5", status="new",
               extended_hours=extended_hours)
    raw.update(fields)
    return Order(**raw)


# ---- OCC option symbols ----------------------------------------------------------------

@pytest.mark.parametrize("symbol, shown", [
    ("AAPL260116C00250000", "AAPL 16 Jan 26 250 C"),
    ("SPY251219P00612500", "SPY 19 Dec 25 612.5 P"),
    ("AAPL1260116C00250000", "AAPL1 16 Jan 26 250 C"),  # an adjusted contract's root ends in a digit
    ("BRKB270617C00000500", "BRKB 17 Jun 27 0.5 C"),
    ("GOOGL261218P01234567", "GOOGL 18 Dec 26 1234.567 P"),
])
def test_occ_symbols_show_underlying_expiry_strike_and_right(symbol, shown):
    assert instrument(symbol) == shown
    assert instrument(symbol, "us_option") == shown
    assert multiplier(symbol) == 100


@pytest.mark.parametrize("symbol", [
    "AAPL", "BTC/USD", "BTCUSD", "BRK.B", "AAPL261316C00250000",  # month 13
    "AAPL260116X00250000", "AAPL260116C0025000A", "aapl260116C00250000", "260116C00250000",
    "AAPL260230C00250000",  # 30 Feb
])
def test_anything_else_is_not_an_option(symbol):
    assert parse_option(symbol) is None
    assert instrument(symbol) == symbol
    assert multiplier(symbol) == 1


def test_parse_option_fields():
    option = parse_option("AAPL260116C00250000")
    assert (option.underlying, option.expiry, option.right, option.strike) == \
           ("AAPL", date(2026, 1, 16), "C", Decimal("250"))


def test_asset_class_other_than_option_keeps_the_symbol_as_sent():
    assert instrument("AAPL260116C00250000", "us_equity") == "AAPL260116C00250000"


def test_a_symbol_with_an_escape_sequence_shows_escaped():
    shown = instrument("EVIL\x1b]52;c;aGk=\x07")
    assert "\x1b" not in shown and "\x07" not in shown and "\\x1b" in shown


def test_server_words_are_one_line_plain_text():
    assert word("new") == "new"
    assert word("fil\x1b[31mled\nnow\u202e") == "filled now"
    assert len(word("x" * 10_000)) <= 24


# ---- crypto figures ------------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [
    ("0.000012", "0.000012"), ("0.00001234", "0.00001234"), ("0.5", "0.5000"), ("0.123456789", "0.1235"),
    ("0", "0.0000"), ("1.5", "1.50"), ("999999.999", "1,000,000.00"), ("-0.0000456", "-0.0000456"),
])
def test_prices_below_a_dollar_keep_their_significant_figures(value, shown):
    assert price(value) == shown


def test_crypto_quantities_keep_nine_decimals():
    assert quantity("0.123456789") == "0.123456789"
    assert quantity("9999999.123456789") == "9,999,999.123456789"


# ---- bounds ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", HUGE)
def test_figures_out_of_bounds_show_a_dash(value):
    assert dec(value) is None
    for formatter in (money, signed_money, signed_pct, price, quantity):
        assert formatter(value) == DASH


def test_a_time_out_of_range_shows_a_dash():
    assert ny_time(datetime(1, 1, 1, tzinfo=timezone.utc)) == DASH
    assert ny_time(datetime(9999, 12, 31, tzinfo=timezone.utc)) == DASH


def test_a_position_worth_1e999999999_gives_a_row_of_dashes_without_allocating_gigabytes():
    tracemalloc.start()
    try:
        rows = position_rows([position("NVDA", value="1e999999999", pl="1e999999999", plpc="NaN", today="1e400"),
                              position("AAPL")])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000
    cells = dict(rows)
    nvda = [text for text, _ in cells["NVDA"]]
    assert nvda[5:9] == [DASH] * 4
    total = [text for text, _ in cells[TOTAL_KEY]]
    assert total[5] == DASH and total[6] == DASH  # a total missing a position is not a total


def test_totals_beyond_bounds_show_a_dash():
    big = [position(f"S{i}", qty="1", current="900000000000000", value="900000000000000") for i in range(3)]
    total = dict(position_rows(big))[TOTAL_KEY]
    assert total[5][0] == DASH  # 2.7e15: past what any account holds


def test_short_positions_carry_a_minus_on_the_quantity():
    cells = dict(position_rows([position("TSLA", qty="15", side="short", pl="-1")]))["TSLA"]
    assert cells[2][0] == "-15"
    cells = dict(position_rows([position("TSLA", qty="-15", side="short", pl="-1")]))["TSLA"]
    assert cells[2][0] == "-15"


def test_option_and_crypto_positions_show_right():
    rows = dict(position_rows([
        position("AAPL260116C00250000", qty="2", current="3.25", avg="3.00", value="650", asset_class="us_option",
                 exchange=""),
        position("BTCUSD", qty="0.123456789", current="97000.5", avg="90000", asset_class="crypto",
                 exchange="CRYPTO"),
        position("SHIBUSD", qty="1000000", current="0.000012", avg="0.00001", value="12", asset_class="crypto",
                 exchange="CRYPTO"),
    ]))
    option = [text for text, _ in rows["AAPL260116C00250000"]]
    assert option[0] == "AAPL 16 Jan 26 250 C" and option[5] == "650.00"  # the server's value: × 100
    assert [text for text, _ in rows["BTCUSD"]][:3] == ["BTCUSD", "long", "0.123456789"]
    assert [text for text, _ in rows["SHIBUSD"]][4] == "0.000012"


def test_account_day_pnl_is_bounded():
    from types import SimpleNamespace

    account = SimpleNamespace(equity="1e999999999", last_equity="100", cash="NaN", buying_power="1e400",
                              long_market_value="0", short_market_value="0", trading_blocked=False,
                              account_blocked=False, trade_suspended_by_user=False)
    left, _, day, _ = account_figures(account)
    assert left[0][1] == DASH and left[1][1] == DASH and day[0][1] == DASH and day[1][1] == DASH
    account.equity, account.last_equity = "100", "0.000000000000000000000000001"
    _, _, day, _ = account_figures(account)
    assert day[1][1] == DASH  # +1e31 %: not a figure anyone can use


# ---- orders ----------------------------------------------------------------------------

def test_extended_hours_orders_say_so_in_the_tif_column():
    [(_, regular)] = order_rows([order(extended_hours=False)])
    [(_, extended)] = order_rows([order(extended_hours=True)])
    assert regular[7][0] == "DAY" and extended[7][0] == "DAY+ext"


def test_crypto_and_option_orders_show_right():
    [(_, crypto)] = order_rows([order("BTC/USD", "crypto", qty="0.000000001", limit_price="0.000012",
                                      time_in_force="gtc")])
    assert (crypto[1][0], crypto[4][0], crypto[6][0]) == ("BTC/USD", "0.000000001", "L 0.000012")
    [(_, option)] = order_rows([order("AAPL260116C00250000", "us_option")])
    assert option[1][0] == "AAPL 16 Jan 26 250 C"


# ---- fills -----------------------------------------------------------------------------

def _raw_fill(**fields):
    raw = {"id": "f1", "transaction_time": "2026-11-23T15:30:00Z", "symbol": "AAPL", "side": "buy",
           "qty": "2", "price": "10.5", "order_id": "o1"}
    raw.update(fields)
    return raw


@pytest.mark.parametrize("fields", [
    {"qty": "1e500000"}, {"qty": "NaN"}, {"price": "1e999999999"}, {"price": "NaN"}, {"price": None},
    {"transaction_time": "9999-12-31T00:00:00Z"}, {"transaction_time": "0001-01-01T00:00:00Z"},
    {"transaction_time": "garbage"}, {"symbol": None}, {"qty": "0"},
])
def test_fills_with_unbounded_or_unreadable_figures_are_skipped(fields):
    assert parse_fill(_raw_fill(**fields)) is None


def test_a_readable_fill_is_kept():
    fill = parse_fill(_raw_fill())
    assert fill is not None and fill.qty == Decimal(2) and fill.price == Decimal("10.5")
    assert fill.at == datetime(2026, 11, 23, 15, 30, tzinfo=timezone.utc)


def test_fill_value_counts_the_option_multiplier_and_is_bounded():
    at = datetime(2026, 11, 23, 15, 30, tzinfo=timezone.utc)
    rows = dict(fill_rows([
        FillRow("a", at, "AAPL260116C00250000", "buy", Decimal(2), Decimal("3.25"), "o"),
        FillRow("b", at, "AAPL", "buy", Decimal(2), Decimal("3.25"), "o"),
        FillRow("c", at, "BIG", "buy", Decimal("1e15"), Decimal("1e15"), "o"),
    ]))
    assert rows["a"][5][0] == "650.00" and rows["b"][5][0] == "6.50" and rows["c"][5][0] == DASH
    assert rows["a"][1][0] == "AAPL 16 Jan 26 250 C"
