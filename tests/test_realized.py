"""Realized P&L by FIFO lots (tui/state/realized.py): hand-computed examples.

Times: 2025-11-10 is a Monday in EST (UTC-5), so New York midnight is 05:00 UTC;
2025-10-06 is a Monday in EDT (UTC-4), midnight is 04:00 UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tui.broker.activity import FillRow, parse_fill
from tui.state.realized import (
    METHOD,
    Lot,
    MatchedLot,
    lots_before,
    new_york_day,
    realize,
    totals,
    week_start,
)

UTC = timezone.utc
MON = date(2025, 11, 10)


def at(hour: int, minute: int = 0, day: date = MON) -> datetime:
    """A UTC moment; 14:30 UTC = 09:30 New York in November."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


_ids = iter(range(1, 10**6))


def fill(side: str, qty, price, when: datetime, symbol: str = "AAPL", id: str | None = None) -> FillRow:
    return FillRow(id or f"f{next(_ids):04d}", when, symbol, side, D(str(qty)), D(str(price)), "o")


def test_method_is_fifo_and_says_why():
    import tui.state.realized as module

    assert METHOD == "FIFO"
    assert "FIFO" in module.__doc__ and "default" in module.__doc__


def test_simple_long_round_trip():
    # buy 10 @ 100, sell 10 @ 105 -> (105 - 100) x 10 = 50
    r = realize([fill("buy", 10, 100, at(15), id="b"), fill("sell", 10, 105, at(16), id="s")])
    (close,) = r.closes
    assert close.fill_id == "s" and close.side == "sell" and not close.short
    assert close.qty == 10 and close.close_price == 105 and close.open_price == 100
    assert close.lots == (MatchedLot(at(15), D(10), D(100), "b"),)
    assert close.realized == 50 and close.unmatched == 0
    assert close.same_day
    assert r.open_lots == {} and r.position("AAPL") == 0


def test_several_buys_then_one_sell_spanning_lots():
    # buy 10 @ 100, buy 5 @ 110, buy 5 @ 120; sell 18 @ 115 closes
    #   10 @ 100 -> +150, 5 @ 110 -> +25, 3 @ 120 -> -15   => realized 160
    # average open = (1000 + 550 + 360) / 18 = 1910 / 18 = 106.111...
    # left open: 2 @ 120
    fills = [fill("buy", 10, 100, at(15)), fill("buy", 5, 110, at(16)), fill("buy", 5, 120, at(17)),
             fill("sell", 18, 115, at(18), id="s")]
    r = realize(fills)
    (close,) = r.closes
    assert [(m.qty, m.price) for m in close.lots] == [(10, 100), (5, 110), (3, 120)]
    assert close.realized == 160
    assert close.open_price == D(1910) / D(18)
    (lot,) = r.open_lots["AAPL"]
    assert lot.qty == 2 and lot.price == 120 and lot.opened_at == at(17)


def test_partial_fills_on_both_sides():
    # one buy order filled 3 @ 50.10 then 7 @ 50.20 (lots: 3 @ 50.10, 7 @ 50.20)
    # one sell order filled 4 @ 51 then 6 @ 50.50:
    #   sell 4 @ 51:    3 @ 50.10 -> 3 x 0.90 = 2.70; 1 @ 50.20 -> 0.80   => 3.50
    #   sell 6 @ 50.50: 6 @ 50.20 -> 6 x 0.30 = 1.80                      => 1.80
    # total 5.30
    fills = [fill("buy", 3, "50.10", at(15)), fill("buy", 7, "50.20", at(15, 1)),
             fill("sell", 4, 51, at(16)), fill("sell", 6, "50.50", at(16, 1))]
    r = realize(fills)
    first, second = r.closes
    assert [(m.qty, m.price) for m in first.lots] == [(3, D("50.10")), (1, D("50.20"))]
    assert first.realized == D("3.50")
    assert [(m.qty, m.price) for m in second.lots] == [(6, D("50.20"))]
    assert second.realized == D("1.80")
    assert r.on(MON).realized == D("5.30")
    assert r.open_lots == {}


def test_short_opened_and_covered_in_two_parts():
    # sell_short 10 @ 50; buy 4 @ 45 -> (50 - 45) x 4 = 20; buy 6 @ 52 -> (50 - 52) x 6 = -12; total 8
    r = realize([fill("sell_short", 10, 50, at(15)), fill("buy", 4, 45, at(16)), fill("buy", 6, 52, at(17))])
    a, b = r.closes
    assert a.short and b.short and a.side == b.side == "buy"
    assert (a.qty, a.realized, b.qty, b.realized) == (4, 20, 6, -12)
    assert r.on(MON).realized == 8
    assert r.open_lots == {}


def test_short_lots_are_fifo_too():
    # sell_short 5 @ 30, sell_short 5 @ 40; buy 7 @ 35: 5 @ 30 -> -25; 2 @ 40 -> +10 => -15; 3 short @ 40 left
    r = realize([fill("sell_short", 5, 30, at(15)), fill("sell_short", 5, 40, at(16)), fill("buy", 7, 35, at(17))])
    (close,) = r.closes
    assert close.realized == -15
    (lot,) = r.open_lots["AAPL"]
    assert lot.qty == -3 and lot.price == 40 and lot.short
    assert r.position("AAPL") == -3


def test_sell_crossing_from_long_to_short_is_split():
    # buy 10 @ 20; sell 15 @ 25: 10 close -> +50, 5 open a short @ 25; buy 5 @ 22 -> (25 - 22) x 5 = 15
    r = realize([fill("buy", 10, 20, at(15)), fill("sell", 15, 25, at(16), id="x"), fill("buy", 5, 22, at(17))])
    cross, cover = r.closes
    assert cross.fill_id == "x" and cross.qty == 10 and cross.realized == 50 and not cross.short
    assert cover.short and cover.lots == (MatchedLot(at(16), D(5), D(25), "x"),) and cover.realized == 15
    assert r.open_lots == {}


def test_buy_crossing_from_short_to_long_is_split():
    # sell_short 4 @ 10; buy 6 @ 9: 4 cover -> +4, 2 open long @ 9
    r = realize([fill("sell_short", 4, 10, at(15)), fill("buy", 6, 9, at(16))])
    (close,) = r.closes
    assert close.qty == 4 and close.realized == 4
    (lot,) = r.open_lots["AAPL"]
    assert (lot.qty, lot.price) == (2, 9)


def test_same_day_round_trips_flagged():
    # Monday: buy 10 @ 10 (14:30 UTC = 09:30 NY). Tuesday: buy 10 @ 11, sell 15 @ 12.
    # The sell closes 10 Monday shares (+20) and 5 Tuesday shares (+5): not a same-day round trip,
    # 5 of it same-day. Then sell 5 @ 13 closes the other 5 Tuesday shares (+10): same-day.
    tue = MON + timedelta(days=1)
    r = realize([fill("buy", 10, 10, at(14, 30)), fill("buy", 10, 11, at(15, day=tue)),
                 fill("sell", 15, 12, at(16, day=tue)), fill("sell", 5, 13, at(17, day=tue))])
    mixed, pure = r.closes
    assert mixed.realized == 25 and not mixed.same_day and mixed.same_day_qty == 5
    assert pure.realized == 10 and pure.same_day and pure.same_day_qty == 5


def test_same_day_is_the_new_york_date_not_utc():
    # buy at 2025-11-10 23:00 NY (04:00 UTC on the 11th); sell at 2025-11-11 00:30 NY (05:30 UTC):
    # the same UTC date, different New York dates -> not same-day.
    # buy at 2025-11-10 20:00 NY (01:00 UTC 11th), sell 23:30 NY (04:30 UTC 11th): different UTC dates,
    # the same New York date -> same-day.
    nxt = MON + timedelta(days=1)
    r = realize([fill("buy", 1, 10, at(4, day=nxt)), fill("sell", 1, 11, at(5, 30, day=nxt))])
    assert not r.closes[0].same_day
    r = realize([fill("buy", 1, 10, at(1, day=nxt)), fill("sell", 1, 11, at(4, 30, day=nxt))])
    assert r.closes[0].same_day and r.closes[0].day == MON


def test_fractional_quantities_are_exact():
    # buy 0.123456789 @ 187.31; buy 1.000000001 @ 190.07; sell 0.5 @ 191.40
    #   0.123456789 x (191.40 - 187.31) = 0.123456789 x 4.09 = 0.50493826701
    #   0.376543211 x (191.40 - 190.07) = 0.376543211 x 1.33 = 0.50080247063
    #   realized = 1.00574073764; left 0.623456790 @ 190.07
    r = realize([fill("buy", "0.123456789", "187.31", at(15)), fill("buy", "1.000000001", "190.07", at(16)),
                 fill("sell", "0.5", "191.40", at(17))])
    (close,) = r.closes
    assert [m.qty for m in close.lots] == [D("0.123456789"), D("0.376543211")]
    assert close.realized == D("1.00574073764")
    (lot,) = r.open_lots["AAPL"]
    assert lot.qty == D("0.623456790")
    assert r.position("AAPL") == D("1.000000001") + D("0.123456789") - D("0.5")


def test_exact_beyond_the_default_28_digits():
    # 123456789012.123456789 x (1000000.0001 - 1000000) = 12345678.9012123456789 exactly: the
    # product of the prices and quantities has more than 28 digits.
    r = realize([fill("buy", "123456789012.123456789", "1000000", at(15)),
                 fill("sell", "123456789012.123456789", "1000000.0001", at(16))])
    assert r.closes[0].realized == D("12345678.9012123456789")


def test_a_close_with_no_matching_lot_is_unmatched():
    # A plain sell with no long lot: the shares were bought before our fills. No cost is
    # invented: 7 unmatched, realized 0, and it opens no short.
    r = realize([fill("sell", 7, 100, at(15), id="s")])
    (close,) = r.closes
    assert close.fill_id == "s" and close.qty == 7 and close.unmatched == 7
    assert close.lots == () and close.realized == 0 and close.open_price is None
    assert not close.same_day
    assert r.open_lots == {}
    t = r.on(MON)
    assert t.realized == 0 and t.unmatched == {"AAPL": D(7)} and not t.complete


def test_sell_short_with_no_lot_opens_a_short_not_unmatched():
    r = realize([fill("sell_short", 7, 100, at(15))])
    assert r.closes == () and r.position("AAPL") == -7


def test_starting_lots_price_closes_of_older_shares():
    # 20 held from last week @ 90 (a starting lot); buy 10 @ 100 today; sell 25 @ 95:
    #   20 @ 90 -> +100; 5 @ 100 -> -25 => 75; not same-day (most of it from last week)
    old = datetime(2025, 11, 3, 15, tzinfo=UTC)
    r = realize([fill("buy", 10, 100, at(15)), fill("sell", 25, 95, at(16))],
                starting=[Lot("AAPL", D(20), D(90), old)])
    (close,) = r.closes
    assert [(m.opened_at, m.qty, m.price) for m in close.lots] == [(old, 20, 90), (at(15), 5, 100)]
    assert close.realized == 75 and not close.same_day and close.same_day_qty == 5
    (lot,) = r.open_lots["AAPL"]
    assert (lot.qty, lot.price) == (5, 100)


def test_starting_short_lot_is_covered_by_a_buy():
    # short 10 @ 40 from before; buy 10 @ 38 -> (40 - 38) x 10 = 20
    r = realize([fill("buy", 10, 38, at(15))], starting=[Lot("AAPL", D(-10), D(40), None)])
    (close,) = r.closes
    assert close.short and close.realized == 20 and not close.same_day


def test_unknown_cost_starting_lot_is_unmatched_then_fills_match():
    # Now long 12; the fills: sell 10 @ 50 (Monday), buy 15 @ 45 (Tuesday), net +5,
    # so 12 - 5 = 7 were held before, cost unknown (lots_before).
    # sell 10 @ 50: the 7 close unmatched (no P&L); the 3 beyond open a short @ 50 (crossing).
    # buy 15 @ 45: covers 3 short @ 50 -> (50 - 45) x 3 = +15, opens 12 long @ 45.
    # unrealized at 46: (46 - 45) x 12 = 12
    fills = [fill("sell", 10, 50, at(15)), fill("buy", 15, 45, at(16, day=MON + timedelta(days=1)))]
    start = lots_before({"AAPL": D(12)}, fills)
    assert start == [Lot("AAPL", D(7), None)]
    r = realize(fills, starting=start)
    sell, cover = r.closes
    assert sell.unmatched == 7 and sell.qty == 7 and sell.realized == 0 and sell.lots == ()
    assert cover.realized == 15 and cover.short
    assert r.position("AAPL") == 12
    assert r.unrealized("AAPL", D(46)) == 12


def test_lots_before_lets_a_buy_cover_an_older_short():
    # Now flat; the only fill: buy 5 @ 20. Without starting lots it would open a long; with
    # lots_before it covers a short of unknown cost: unmatched.
    fills = [fill("buy", 5, 20, at(15))]
    r = realize(fills, starting=lots_before({}, fills))
    (close,) = r.closes
    assert close.short and close.unmatched == 5 and r.open_lots == {}
    assert r.unrealized("AAPL", D(1)) == 0  # nothing open
    r = realize(fills, starting=[Lot("AAPL", D(-8), None)])
    assert r.unrealized("AAPL", D(21)) is None  # 3 short of unknown cost still open


def test_totals_today_week_and_range_across_new_york_midnight():
    # Per symbol round trips, each closing at a UTC time near New York midnight.
    #   EST week of Mon 2025-11-10 (midnight = 05:00 UTC):
    #     A: close Tue 11-11 04:59 UTC = Mon 23:59 NY   -> +10   (day Mon)
    #     B: close Tue 11-11 05:00 UTC = Tue 00:00 NY   -> +20   (day Tue)
    #     A: close Wed 11-12 04:30 UTC = Tue 23:30 NY   -> -3    (day Tue)
    #     A: close Sun 11-09 23:00 UTC = Sun 18:00 NY   -> +100  (previous week)
    #     B: close Mon 11-10 04:59 UTC = Sun 23:59 NY   -> +1000 (previous week)
    #   today = Tue 11-11 (asked as Wed 11-12 04:59 UTC = Tue 23:59 NY):
    #     today = 20 - 3 = 17 (A -3, B 20); week (Mon..Tue) = 10 + 20 - 3 = 27 (A 7, B 20)
    #     range Sun 11-09..Mon 11-10 = 100 + 1000 + 10 = 1110
    def trip(symbol, gain, close_at):
        opened = close_at - timedelta(minutes=1)
        return [fill("buy", 1, 100, opened, symbol), fill("sell", 1, 100 + gain, close_at, symbol)]

    fills = (trip("A", 10, datetime(2025, 11, 11, 4, 59, tzinfo=UTC))
             + trip("B", 20, datetime(2025, 11, 11, 5, 0, tzinfo=UTC))
             + trip("A", -3, datetime(2025, 11, 12, 4, 30, tzinfo=UTC))
             + trip("A", 100, datetime(2025, 11, 9, 23, 0, tzinfo=UTC))
             + trip("B", 1000, datetime(2025, 11, 10, 4, 59, tzinfo=UTC)))
    r = realize(fills)
    now = datetime(2025, 11, 12, 4, 59, tzinfo=UTC)
    today = r.today(now)
    assert (today.start, today.end) == (date(2025, 11, 11), date(2025, 11, 11))
    assert today.realized == 17 and today.by_symbol == {"A": D(-3), "B": D(20)} and today.closes == 2
    assert r.today(date(2025, 11, 11)) == today
    week = r.week(now)
    assert (week.start, week.end) == (MON, date(2025, 11, 11))
    assert week.realized == 27 and week.by_symbol == {"A": D(7), "B": D(20)} and week.complete
    span = r.between(date(2025, 11, 9), MON)
    assert span.realized == 1110 and span.by_symbol == {"A": D(110), "B": D(1000)} and span.closes == 3
    assert totals(r.closes, date(2025, 11, 13), date(2025, 11, 20)).realized == 0


def test_totals_across_an_edt_midnight():
    # EDT: Mon 2025-10-06 midnight NY = 04:00 UTC. A close at 03:59 UTC is Sunday in New York,
    # one at 04:00 UTC is Monday.
    r = realize([fill("buy", 2, 10, datetime(2025, 10, 6, 3, 0, tzinfo=UTC)),
                 fill("sell", 1, 15, datetime(2025, 10, 6, 3, 59, tzinfo=UTC)),
                 fill("sell", 1, 17, datetime(2025, 10, 6, 4, 0, tzinfo=UTC))])
    sunday, monday = r.closes
    assert (sunday.day, monday.day) == (date(2025, 10, 5), date(2025, 10, 6))
    assert sunday.same_day and not monday.same_day
    assert r.today(date(2025, 10, 6)).realized == 7
    assert r.week(date(2025, 10, 6)).realized == 7  # Monday: the week is just today
    assert r.week(date(2025, 10, 5)).realized == 5  # Sunday's week began Mon 09-29
    assert week_start(date(2025, 10, 5)) == date(2025, 9, 29)


def test_fills_given_out_of_order():
    # buy 1 @ 10 (t1), buy 1 @ 20 (t2), sell 1 @ 30 (t3): FIFO closes the @10 lot -> +20, @20 left.
    # Given newest first (as parse_fills returns them) the result is the same.
    # Equal times: sorted by id, so "a" (buy @ 12) opens before "b" (buy @ 14).
    fills = [fill("buy", 1, 10, at(15)), fill("buy", 1, 20, at(16)), fill("sell", 1, 30, at(17))]
    for shuffled in (fills, fills[::-1], [fills[2], fills[0], fills[1]]):
        r = realize(shuffled)
        assert r.closes[0].realized == 20 and r.open_lots["AAPL"][0].price == 20
    same = [fill("sell", 1, 15, at(18), id="c"), fill("buy", 1, 14, at(17), id="b"), fill("buy", 1, 12, at(17), id="a")]
    r = realize(same)
    assert r.closes[0].lots[0].price == 12 and r.closes[0].realized == 3


def test_symbols_are_separate():
    r = realize([fill("buy", 1, 10, at(15), "A"), fill("sell_short", 1, 10, at(15), "B"),
                 fill("sell", 1, 12, at(16), "A"), fill("buy", 1, 12, at(16), "B")])
    assert r.on(MON).by_symbol == {"A": D(2), "B": D(-2)} and r.on(MON).realized == 0


def test_works_on_parsed_activities():
    raw = [
        {"id": "2", "side": "sell", "qty": "3", "price": "101.5", "symbol": "SPY",
         "transaction_time": "2025-11-10T15:00:00Z"},
        {"id": "1", "side": "buy", "qty": "3", "price": "100", "symbol": "SPY",
         "transaction_time": "2025-11-10T14:31:00.123Z"},
    ]
    r = realize(parse_fill(x) for x in raw)
    assert r.closes[0].realized == D("4.5") and r.closes[0].same_day


def test_plain_numbers_are_read_as_their_text():
    # A minimal fill with float qty/price (the protocol, not FillRow): 0.1 is 0.1, not its binary value.
    class Plain:
        def __init__(self, id, side, qty, price, when):
            self.id, self.side, self.qty, self.price, self.at, self.symbol = id, side, qty, price, when, "X"

    r = realize([Plain("1", "buy", 0.3, 0.1, at(15)), Plain("2", "sell", 0.1, 0.2, at(16))])
    assert r.closes[0].realized == D("0.01") and r.position("X") == D("0.2")


def test_bad_fills_raise():
    with pytest.raises(ValueError):
        realize([fill("hold", 1, 1, at(15))])
    with pytest.raises(ValueError):
        realize([fill("buy", 0, 1, at(15))])


def test_new_york_day_takes_naive_as_utc():
    assert new_york_day(datetime(2025, 11, 11, 4, 59)) == MON
    assert new_york_day(datetime(2025, 11, 11, 5, 0)) == date(2025, 11, 11)


# ---- properties ----

QTY = st.decimals(min_value=D("0.000000001"), max_value=D(1000), places=9)
PRICE = st.decimals(min_value=D("0.01"), max_value=D(5000), places=4)
STEPS = st.lists(st.tuples(st.booleans(), QTY, PRICE), max_size=30)


def _build(steps, shorts: bool):
    """Fills from (buy?, qty, price) steps, one minute apart. Long-only (shorts False): a sell
    is cut to the position, so it never goes below zero. With shorts, a sale is `sell` while
    long (it may cross to short) and `sell_short` otherwise, as Alpaca labels them."""
    fills, pos, cash = [], D(0), D(0)
    t0 = at(14, 30)
    for i, (buy, qty, price) in enumerate(steps):
        if buy:
            side = "buy"
        else:
            if not shorts:
                qty = min(qty, pos)
                if not qty:
                    continue
            side = "sell" if pos > 0 else "sell_short"
        fills.append(fill(side, qty, price, t0 + timedelta(minutes=i), id=f"p{i:03d}"))
        pos += qty if buy else -qty
        cash += -qty * price if buy else qty * price
    return fills, pos, cash


def _conserves(fills, pos, cash, final):
    r = realize(fills)
    realized = sum((c.realized for c in r.closes), D(0))
    assert all(not c.unmatched for c in r.closes)
    assert r.position("AAPL") == pos
    # realized + unrealized at the final price = cash flow + what the position is worth
    assert realized + r.unrealized("AAPL", final) == cash + pos * final
    # the totals over all days agree with the closes
    assert r.between(date(2000, 1, 1), date(2100, 1, 1)).realized == realized
    return r


@given(STEPS, PRICE)
@example([(True, D(10), D(100)), (False, D(4), D(110)), (False, D(9), D(90))], D(95))
def test_conservation_long_only(steps, final):
    fills, pos, cash = _build(steps, shorts=False)
    r = _conserves(fills, pos, cash, final)
    assert all(lot.qty > 0 for lot in r.open_lots.get("AAPL", ()))


@given(STEPS, PRICE)
@example([(True, D(10), D(100)), (False, D(15), D(110)), (True, D(8), D(90))], D(95))
def test_conservation_with_shorts_and_crossings(steps, final):
    fills, pos, cash = _build(steps, shorts=True)
    r = _conserves(fills, pos, cash, final)
    lots = r.open_lots.get("AAPL", ())
    assert len({lot.short for lot in lots}) <= 1  # never long and short lots at once


@given(STEPS, st.randoms(use_true_random=False))
def test_order_of_the_input_does_not_matter(steps, rnd):
    fills, _, _ = _build(steps, shorts=True)
    shuffled = list(fills)
    rnd.shuffle(shuffled)
    assert realize(shuffled) == realize(fills)


SMALL = st.lists(st.tuples(st.booleans(), st.integers(1, 12), st.integers(1, 50)), max_size=25)


@given(SMALL)
def test_matches_a_share_by_share_fifo_queue(steps):
    # An independent model: every share is an entry in a queue with its signed open price.
    fills, _, _ = _build([(b, D(q), D(p)) for b, q, p in steps], shorts=True)
    queue: list[tuple[int, D]] = []  # (+1 long | -1 short, open price)
    expected = []
    for f in fills:
        sign = 1 if f.side == "buy" else -1
        gain, closed = D(0), 0
        for _ in range(int(f.qty)):
            if queue and queue[0][0] == -sign:
                held, opened = queue.pop(0)
                gain += (f.price - opened) * held
                closed += 1
            else:
                queue.append((sign, f.price))
        if closed:
            expected.append((f.id, closed, gain))
    r = realize(fills)
    assert [(c.fill_id, c.qty, c.realized) for c in r.closes] == expected
    assert [(1 if lot.qty > 0 else -1, lot.price) for lot in r.open_lots.get("AAPL", ())
            for _ in range(int(abs(lot.qty)))] == queue


@given(STEPS, st.integers(2, 5))
def test_splitting_fills_into_partials_keeps_the_total(steps, parts):
    # Cutting each fill into `parts` partial fills at the same price and time changes the
    # closes' count, not the total realized nor the lots' quantity.
    fills, pos, _ = _build(steps, shorts=False)
    split = []
    for f in fills:
        piece = (f.qty / parts).quantize(D("0.000000001"), rounding="ROUND_DOWN")
        sizes = [piece] * (parts - 1) + [f.qty - piece * (parts - 1)]
        split += [fill(f.side, q, f.price, f.at, id=f"{f.id}.{k}") for k, q in enumerate(sizes) if q]
    whole, cut = realize(fills), realize(split)
    assert sum((c.realized for c in cut.closes), D(0)) == sum((c.realized for c in whole.closes), D(0))
    assert cut.position("AAPL") == whole.position("AAPL") == pos


def test_a_close_partly_unmatched_is_not_a_same_day_round_trip():
    # 3 held from before at an unknown cost, buy 2 @ 10 today, sell 5 @ 11 today:
    # 3 unmatched, 2 same-day @ 10 -> +2; the close is not a (complete) same-day round trip.
    r = realize([fill("buy", 2, 10, at(15)), fill("sell", 5, 11, at(16))], starting=[Lot("AAPL", D(3), None)])
    (close,) = r.closes
    assert close.unmatched == 3 and close.realized == 2 and close.same_day_qty == 2 and close.qty == 5
    assert not close.same_day
