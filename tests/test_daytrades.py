from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tui.daytrades import (
    PDT_EQUITY_THRESHOLD,
    PDT_MAX_DAY_TRADES,
    DayTradeCounter,
    Fill,
    count_day_trades,
    is_pattern_day_trader,
    pdt_blocks,
)

MON, TUE, WED, THU, FRI = (date(2025, 11, 10) + timedelta(days=i) for i in range(5))
NEXT_MON = date(2025, 11, 17)


def seq(*steps, day=MON, symbol="AAPL"):
    """("buy", 250), ("sell", 500) ... -> fills on one day."""
    return [Fill(day, symbol, side, Decimal(q)) for side, q in steps]


@pytest.mark.parametrize(
    "steps, overnight, expected",
    [
        ([("buy", 250), ("buy", 250), ("sell", 500)], None, 1),
        ([("buy", 100), ("sell", 100), ("buy", 100), ("sell", 100)], None, 2),
        ([("buy", 500), ("sell", 100), ("sell", 100), ("sell", 300)], None, 1),
        ([("buy", 199), ("buy", 142), ("sell", 1), ("buy", 45), ("sell", 100), ("sell", 200)], None, 2),
        ([("sell", 10), ("buy", 5)], {"AAPL": Decimal(100)}, 0),
    ],
    ids=["buy-buy-sell", "two-round-trips", "one-open-many-closes", "mixed", "overnight"],
)
def test_api_note_examples(steps, overnight, expected):
    assert count_day_trades(seq(*steps), [MON], overnight) == expected


def test_add_reports_which_fill_completed_the_day_trade():
    c = DayTradeCounter()
    flags = [c.add(f) for f in seq(("buy", 199), ("buy", 142), ("sell", 1), ("buy", 45), ("sell", 100), ("sell", 200))]
    assert flags == [False, False, True, False, True, False]
    assert c.position("AAPL") == Decimal(85)


def test_short_then_cover_is_a_day_trade():
    assert count_day_trades(seq(("sell", 100), ("buy", 100)), [MON]) == 1
    assert count_day_trades(seq(("sell_short", 60), ("sell", 40), ("buy", 30), ("buy", 70)), [MON]) == 1


def test_overnight_short_covered_is_not_a_day_trade():
    assert count_day_trades(seq(("buy", 100)), [MON], {"AAPL": Decimal(-100)}) == 0


def test_overnight_shares_are_closed_first():
    # 100 overnight + 50 bought today; selling 100 closes only the overnight shares...
    assert count_day_trades(seq(("buy", 50), ("sell", 100)), [MON], {"AAPL": Decimal(100)}) == 0
    # ...selling 101 reaches a share bought today.
    assert count_day_trades(seq(("buy", 50), ("sell", 101)), [MON], {"AAPL": Decimal(100)}) == 1


def test_symbols_are_independent():
    fills = seq(("buy", 10), day=MON, symbol="AAPL") + seq(("buy", 10), ("sell", 10), symbol="MSFT")
    fills += seq(("sell", 10), symbol="AAPL")  # closes AAPL after MSFT's round trip
    c = DayTradeCounter()
    assert [c.add(f) for f in fills] == [False, False, True, True]
    assert c.count([MON]) == 2
    # An MSFT opening does not arm an AAPL close.
    c2 = DayTradeCounter({"AAPL": Decimal(10)})
    c2.add(Fill(MON, "MSFT", "buy", Decimal(5)))
    assert c2.add(Fill(MON, "AAPL", "sell", Decimal(10))) is False


def test_window_excludes_older_days():
    days = [MON, TUE, WED, THU, FRI, NEXT_MON]
    fills = [f for d in days for f in seq(("buy", 1), ("sell", 1), day=d)]
    c = DayTradeCounter()
    for f in fills:
        c.add(f)
    assert c.count(days) == 6
    assert c.count(days[1:]) == 5  # MON's trade is 6 trading days back: not counted
    assert c.count([NEXT_MON]) == 1
    assert c.count([]) == 0
    assert c.count([TUE, TUE]) == 1  # duplicates in the window don't double count


def test_position_carries_into_next_day():
    assert count_day_trades(seq(("buy", 100), day=MON) + seq(("sell", 100), day=TUE), [MON, TUE]) == 0
    # Bought Monday, more Tuesday, sell all Tuesday: closes Monday's first, then Tuesday's -> 1.
    fills = seq(("buy", 100), day=MON) + seq(("buy", 50), ("sell", 150), day=TUE)
    assert count_day_trades(fills, [MON, TUE]) == 1
    assert count_day_trades(fills, [MON]) == 0


def test_count_day_trades_sorts_newest_first_input_by_time():
    t0 = datetime(2025, 11, 10, 15, tzinfo=timezone.utc)
    fills = [Fill(MON, "AAPL", s, Decimal(1), t0 + timedelta(minutes=i)) for i, s in enumerate(["buy", "sell"])]
    assert count_day_trades(list(reversed(fills)), [MON]) == 1


def test_out_of_order_days_rejected():
    c = DayTradeCounter()
    c.add(Fill(TUE, "AAPL", "buy", Decimal(1)))
    with pytest.raises(ValueError):
        c.add(Fill(MON, "AAPL", "sell", Decimal(1)))


def test_would_day_trade_before_and_after_closing_fill():
    c = DayTradeCounter()
    assert c.would_day_trade(MON, "AAPL", "sell") is False  # nothing held
    c.add(Fill(MON, "AAPL", "buy", Decimal(100)))
    assert c.would_day_trade(MON, "AAPL", "sell") is True
    assert c.would_day_trade(MON, "AAPL", "buy") is False  # adds to the position
    assert c.would_day_trade(TUE, "AAPL", "sell") is False  # tomorrow it is overnight
    assert c.add(Fill(MON, "AAPL", "sell", Decimal(40))) is True
    assert c.would_day_trade(MON, "AAPL", "sell") is False  # same opening run: already counted
    c.add(Fill(MON, "AAPL", "buy", Decimal(10)))
    assert c.would_day_trade(MON, "AAPL", "sell") is True


def test_would_day_trade_with_qty_respects_overnight_shares():
    c = DayTradeCounter({"AAPL": Decimal(100)})
    c.add(Fill(MON, "AAPL", "buy", Decimal(5)))
    assert c.would_day_trade(MON, "AAPL", "sell", Decimal(10)) is False
    assert c.would_day_trade(MON, "AAPL", "sell", Decimal(101)) is True
    assert c.would_day_trade(MON, "AAPL", "sell") is True  # qty unknown: assume it all


def test_crossing_zero_does_not_crash_and_opens_remainder():
    c = DayTradeCounter()
    c.add(Fill(MON, "AAPL", "buy", Decimal(100)))
    assert c.add(Fill(MON, "AAPL", "sell", Decimal(150))) is True
    assert c.position("AAPL") == Decimal(-50)
    assert c.add(Fill(MON, "AAPL", "buy", Decimal(50))) is True  # the short opened today, covered
    assert c.count([MON]) == 2


def test_fractional_and_string_quantities():
    fills = [Fill(MON, "AAPL", "buy", "0.5"), Fill(MON, "AAPL", "sell", Decimal("0.25"))]
    assert fills[0].qty == Decimal("0.5")
    assert count_day_trades(fills, [MON]) == 1


@pytest.mark.parametrize("qty, side", [(Decimal(0), "buy"), (Decimal(-1), "sell"), (Decimal(1), "hold")])
def test_invalid_fills_rejected(qty, side):
    with pytest.raises(ValueError):
        Fill(MON, "AAPL", side, qty)


def test_pdt_blocks_thresholds():
    assert PDT_MAX_DAY_TRADES == 3 and PDT_EQUITY_THRESHOLD == Decimal(25000)
    assert pdt_blocks(3, Decimal("24999.99"), True) is True
    assert pdt_blocks(3, Decimal("25000"), True) is False
    assert pdt_blocks(2, Decimal("24999.99"), True) is False
    assert pdt_blocks(3, Decimal("24999.99"), False) is False  # order opens: never blocked
    assert pdt_blocks(5, Decimal("100"), True) is True


def test_is_pattern_day_trader():
    assert is_pattern_day_trader(3) is False
    assert is_pattern_day_trader(4) is True
