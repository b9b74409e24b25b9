"""The account's past, seeded at start-up: closed orders, the fills and cash activities
they and the account made, and a daily equity curve that follows from them.

For the sample portfolio (sample_past) the past is one consistent ledger: the deposit that
funded the account, the fills that opened today's positions, a round trip in KO, orders
that ended canceled, expired, rejected and replaced, dividends on what was held, interest,
regulatory fees on sells and a journal. Its deposit is chosen so the ledger ends at
today's cash, and each past day's equity is that day's cash plus its positions at the
day's closing bar (bars.py), so the curve ends at last_equity. The past orders are all
limit orders, so that any market order in the account's list was made since the start
(the app's tests find the one order a close makes by that). For scale tests
(closed_orders) N orders that never traded are spread over the past year.

Everything draws from its own random streams and ids: the same seed gives the same past,
and the ids of what requests create later do not move.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from ..terms import NEW_YORK
from . import market_calendar as cal
from .bars import BarSource
from .fees import sell_fees
from .fmt import CENT, round_price
from .model import ZERO, CashActivity, FillActivity, Order, activity_id
from .placement import intent_for

if TYPE_CHECKING:
    from .engine import Exchange

HISTORY_DAYS = 365
SUB_TYPES = {"DIV": "CDIV", "INT": "CDT"}  # activity_sub_type: cash dividend, credit interest
DIVIDENDS = {"AAPL": Decimal("0.26"), "MSFT": Decimal("0.83"), "SPY": Decimal("1.74"), "KO": Decimal("0.51")}


@dataclass
class Ledger:
    """The past being written: ids from one stream, and every cash and share movement."""
    ex: Exchange
    rng: random.Random
    cash: list[tuple[datetime, Decimal]] = field(default_factory=list)
    shares: list[tuple[datetime, str, Decimal]] = field(default_factory=list)
    fills: list[FillActivity] = field(default_factory=list)
    activities: list[CashActivity] = field(default_factory=list)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def order(self, symbol: str, side: str, otype: str, tif: str, qty: Decimal, at: datetime, *,
              limit: Decimal | None = None, intent: str | None = None) -> Order:
        asset = self.ex.assets[symbol]
        order = Order(id=self.uuid(), client_order_id=self.uuid(), symbol=symbol, asset_id=asset.id, side=side,
                      type=otype, time_in_force=tif, order_class="simple", status="new", created_at=at,
                      submitted_at=at, updated_at=at, qty=qty, limit_price=limit,
                      position_intent=intent or intent_for(side, ZERO))
        return self.ex.book.archive(order)

    def fill(self, order: Order, qty: Decimal, price: Decimal, at: datetime, opens_short: bool = False) -> None:
        """An execution: shares and cash move, a FILL activity is recorded, sells pay fees."""
        order.filled_qty += qty
        order.filled_value += qty * price
        done = order.filled_qty >= (order.qty or ZERO)
        order.status = "filled" if done else "partially_filled"
        order.updated_at = at
        if done:
            order.filled_at = at
        signed = qty if order.side == "buy" else -qty
        self.shares.append((at, order.symbol, signed))
        self.cash.append((at, -signed * price))
        self.fills.append(FillActivity(
            id=activity_id(at, self.uuid()), at=at, order=order, side="sell_short" if opens_short else order.side,
            symbol=order.symbol, price=price, qty=qty, kind="fill" if done else "partial_fill",
            leaves_qty=order.remaining, cum_qty=order.filled_qty, order_status=order.status))
        if order.side == "sell":
            for n, (sub_type, description, fee) in enumerate(sell_fees(qty, price), start=1):
                self.cash_activity("FEE", -fee, at + timedelta(seconds=n), description, order.symbol, qty,
                                   sub_type=sub_type)

    def cash_activity(self, kind: str, amount: Decimal, at: datetime, description: str,
                      symbol: str | None = None, qty: Decimal | None = None, per_share: Decimal | None = None,
                      sub_type: str | None = None) -> None:
        self.cash.append((at, amount))
        self.activities.append(CashActivity(id=activity_id(at, self.uuid()), at=at, activity_type=kind,
                                            net_amount=amount, description=description, symbol=symbol, qty=qty,
                                            per_share_amount=per_share, sub_type=sub_type or SUB_TYPES.get(kind)))

    def end(self, order: Order, status: str, at: datetime) -> None:
        order.status, order.updated_at = status, at
        if status == "canceled":
            order.canceled_at = at
        elif status == "expired":
            order.expired_at = at
        elif status == "rejected":
            order.failed_at = at


def _at(day: cal.TradingDay, minutes: int) -> datetime:
    """A moment `minutes` after the day's regular open."""
    return day.open + timedelta(minutes=minutes)


def _past_days(ex: Exchange, now: datetime) -> list[cal.TradingDay]:
    """The trading days of the past year whose close is behind the previous rollover (the
    engine records that last close itself)."""
    before = ex.hours.previous_rollover(now)
    today = now.astimezone(NEW_YORK).date()
    return [td for td in cal.trading_days(today - timedelta(days=HISTORY_DAYS), today)
            if ex.hours.day_close(td.date) < before]


def sample_past(ex: Exchange, now: datetime) -> None:
    days = _past_days(ex, now)
    if len(days) < 70:  # a clock set too close to the calendar's start: no room for a past
        return
    ledger = Ledger(ex, random.Random(f"{ex.options.seed}:past"))
    bars = BarSource(ex.options.seed, ex.prices, now)

    def close(symbol: str, day: cal.TradingDay) -> Decimal:
        bar = bars.day_bar(symbol, day)
        return Decimal(str(bar.c)) if bar else ex.prices.day(symbol).prev_close

    # Today's positions were opened 15 to 25 trading days ago, at the prices they carry.
    for n, symbol in enumerate(sorted(ex.positions)):
        pos = ex.positions[symbol]
        day = days[-25 + 2 * n]
        at = _at(day, 17 + 7 * n)
        side = "buy" if pos.qty > 0 else "sell"
        entry = round_price(pos.avg_entry_price)
        order = ledger.order(symbol, side, "limit", "day", abs(pos.qty), at, limit=entry)
        ledger.fill(order, abs(pos.qty), entry, at + timedelta(milliseconds=450), opens_short=side == "sell")
        pos.opened_at = at
    # A round trip in KO: bought, a limit sell partially filled then canceled, the rest sold at market.
    buy_day, sell_day = days[-62], days[-44]
    buy = ledger.order("KO", "buy", "limit", "day", Decimal(40), _at(buy_day, 45),
                       limit=close("KO", buy_day) + 1)
    ledger.fill(buy, Decimal(40), close("KO", buy_day), _at(buy_day, 46))
    target = close("KO", sell_day)
    sell = ledger.order("KO", "sell", "limit", "gtc", Decimal(40), _at(sell_day, 30), limit=target,
                        intent="sell_to_close")
    ledger.fill(sell, Decimal(25), target, _at(sell_day, 95))
    ledger.end(sell, "canceled", _at(sell_day, 300))
    rest = ledger.order("KO", "sell", "limit", "day", Decimal(15), _at(sell_day, 301), limit=target - Decimal("0.05"),
                        intent="sell_to_close")
    ledger.fill(rest, Decimal(15), target - Decimal("0.03"), _at(sell_day, 301) + timedelta(milliseconds=300))
    ledger.cash_activity("DIV", 40 * DIVIDENDS["KO"], _at(days[-52], -570), "Cash dividend", "KO", Decimal(40),
                         DIVIDENDS["KO"])
    # Orders that never traded: canceled, expired, rejected, and a limit replaced twice.
    def below(symbol: str, day: cal.TradingDay, share: str) -> Decimal:
        return round_price(close(symbol, day) * Decimal(share))

    day = days[-40]
    canceled = ledger.order("NFLX", "buy", "limit", "gtc", Decimal(5), _at(day, 12), limit=below("NFLX", day, "0.9"))
    ledger.end(canceled, "canceled", _at(days[-38], 60))
    day = days[-33]
    expired = ledger.order("AMZN", "buy", "limit", "day", Decimal(10), _at(day, 200), limit=below("AMZN", day, "0.95"))
    ledger.end(expired, "expired", day.close)
    day = days[-29]
    rejected = ledger.order("JPM", "buy", "limit", "day", Decimal(900), _at(day, 5), limit=below("JPM", day, "1.01"))
    ledger.end(rejected, "rejected", _at(day, 5) + timedelta(milliseconds=80))
    day = days[-12]
    chain = [ledger.order("DIS", "buy", "limit", "gtc", Decimal(12), _at(day, 40), limit=below("DIS", day, "0.93"))]
    for k, share in enumerate(("0.94", "0.95"), start=1):
        moved = _at(day, 40 + 25 * k)
        new = ledger.order("DIS", "buy", "limit", "gtc", Decimal(12), moved, limit=below("DIS", day, share))
        old = chain[-1]
        old.status, old.replaced_by, old.replaced_at, old.updated_at = "replaced", new.id, moved, moved
        new.replaces = old.id
        chain.append(new)
    ledger.end(chain[-1], "canceled", _at(days[-10], 15))
    # Dividends on what was held by the ex-date, and interest on cash on each month's first trading day.
    for symbol, offset in (("AAPL", -8), ("MSFT", -6), ("SPY", -3)):
        pos = ex.positions.get(symbol)
        if pos is not None and pos.qty > 0:
            per_share = DIVIDENDS[symbol]
            ledger.cash_activity("DIV", (pos.qty * per_share).quantize(CENT), _at(days[offset], -570),
                                 "Cash dividend", symbol, pos.qty, per_share)
    months = {}
    for td in days:
        months.setdefault((td.date.year, td.date.month), td)
    for td in list(months.values())[1:]:
        amount = Decimal(str(round(ledger.rng.uniform(1.5, 9.0), 2)))
        ledger.cash_activity("INT", amount, _at(td, -570), "Interest credit")
    ledger.cash_activity("JNLC", Decimal(500), _at(days[len(days) // 3], -400), "Journal from linked account")
    # The deposit that funded the account: whatever makes the ledger end at today's cash.
    deposit = ex.cash - sum((amount for _, amount in ledger.cash), ZERO)
    ledger.cash_activity("CSD" if deposit >= 0 else "CSW", deposit, _at(days[0], -570),
                         "Cash deposit" if deposit >= 0 else "Cash withdrawal")
    ex.activities[:0] = sorted(ledger.fills, key=lambda a: a.at)
    ex.cash_activities[:0] = sorted(ledger.activities, key=lambda a: a.at)
    ex.daily_equity[:0] = _equity_curve(ex, ledger, days, close)


def _equity_curve(ex: Exchange, ledger: Ledger, days: list[cal.TradingDay], close) -> list[tuple[datetime, Decimal]]:
    """Each past day's closing equity: the ledger's cash by then plus the shares held at the day's close."""
    cash_moves = sorted(ledger.cash)
    share_moves = sorted(ledger.shares)
    cash, held = ZERO, {}
    i = j = 0
    curve = []
    for td in days:
        moment = ex.hours.day_close(td.date)
        while i < len(cash_moves) and cash_moves[i][0] <= moment:
            cash += cash_moves[i][1]
            i += 1
        while j < len(share_moves) and share_moves[j][0] <= moment:
            _, symbol, qty = share_moves[j]
            held[symbol] = held.get(symbol, ZERO) + qty
            j += 1
        if i == 0:
            continue  # not funded yet
        value = cash + sum((qty * close(symbol, td) for symbol, qty in held.items() if qty), ZERO)
        curve.append((moment, value.quantize(CENT)))
    return curve


def closed_orders(ex: Exchange, now: datetime, count: int) -> None:
    """`count` orders over the past year that ended without trading (canceled, expired or
    rejected), a distinct millisecond each: clients page through them by submitted_at."""
    ledger = Ledger(ex, random.Random(f"{ex.options.seed}:closed-orders"))
    symbols = sorted(s for s, a in ex.assets.items() if a.tradable and a.price >= 1)
    span_ms = HISTORY_DAYS * 86_400_000
    start = now - timedelta(days=HISTORY_DAYS)
    step = span_ms / count
    for n in range(count):
        at = start + timedelta(milliseconds=int(n * step + ledger.rng.random() * step * 0.5))
        symbol = ledger.rng.choice(symbols)
        side = "buy" if ledger.rng.random() < 0.7 else "sell"
        price = ex.prices.day(symbol).prev_close
        limit = round_price(price * Decimal(str(round(0.8 + ledger.rng.random() * 0.15, 3))
                                            if side == "buy" else str(round(1.05 + ledger.rng.random() * 0.15, 3))))
        tif = "day" if ledger.rng.random() < 0.5 else "gtc"
        order = ledger.order(symbol, side, "limit", tif, Decimal(ledger.rng.randint(1, 50)), at, limit=limit,
                             intent="buy_to_open" if side == "buy" else "sell_to_close")
        kind = ledger.rng.random()
        latest = now - timedelta(seconds=1)  # an order of the last hours ended before now, not after
        if kind < 0.15:
            ledger.end(order, "rejected", min(at + timedelta(milliseconds=40), latest))
        elif tif == "day":
            ledger.end(order, "expired", min(_day_end(at), latest))
        else:
            ledger.end(order, "canceled", min(at + timedelta(minutes=ledger.rng.randint(1, 60 * 24 * 20)), latest))


def _day_end(at: datetime) -> datetime:
    local = at.astimezone(NEW_YORK)
    td = cal.trading_day(local.date())
    return td.close if td is not None and td.close > at else at + timedelta(hours=1)

