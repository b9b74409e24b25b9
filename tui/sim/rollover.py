"""The trading day passing: sessions ending, the next day beginning, orders outliving their time.

At each regular close DAY orders expire, closing auctions run and the closing equity and
prices are noted; when the next trading day begins they become last_equity and the
previous closes, so Day P&L restarts from them. The engine catches up on every tick and
before a price is set, however much time has passed in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from . import market_calendar as cal
from . import matching

if TYPE_CHECKING:
    from .engine import Exchange


@dataclass
class DayMarks:
    """Where the exchange stands in the day cycle."""

    next_rollover: datetime  # the next regular close (New York midnight when always open)
    next_day_start: datetime | None  # the next 04:00 session open on NYSE's calendar; None when always open
    # (equity, prices) at the last regular close, until the next trading day begins.
    closing: tuple[Decimal, dict[str, Decimal]] | None = None


def start(ex: Exchange, now: datetime) -> DayMarks:
    marks = DayMarks(ex.hours.next_rollover(now), ex.hours.next_day_start(now))
    if ex.hours.closed_for_the_day(now):  # started after a close: today's prices stand for it
        marks.closing = (ex.equity(), ex.prices.closes())
        # ...and so does today's equity, for portfolio history, as a close seen running would.
        ex.daily_equity.append((cal.current_trading_day(now).close, marks.closing[0]))
    return marks


def catch_up(ex: Exchange, now: datetime) -> None:
    """End the trading days, then the order lifetimes, that are over by `now`."""
    days = ex.days
    while True:
        start = days.next_day_start
        if start is not None and start <= now and start < days.next_rollover:
            _begin_day(ex, start)
        elif days.next_rollover <= now:
            _rollover(ex, days.next_rollover)
        else:
            break
    for order in list(ex.book.open.values()):
        # What outlived the rollovers ends on its own: an extended-hours DAY order with after-hours.
        if order.is_open and order.expires_at is not None and order.expires_at <= now:
            ex.finish(order, "expired", order.expires_at)


def _rollover(ex: Exchange, at: datetime) -> None:
    """The regular session ended at `at`: expire DAY orders, note the closing equity and
    prices. Always open, the next day begins at once; on NYSE's calendar at its 04:00."""
    days = ex.days
    opening_auction = []
    for order in list(ex.book.open.values()):
        if order.is_open and order.expires_at is not None and order.expires_at <= at:
            if order.time_in_force == "cls" and order.status == "accepted":
                matching.auction(ex, order, at)
            elif order.time_in_force == "opg" and order.status == "accepted" and ex.hours.mode == "always-open":
                opening_auction.append(order)  # a market that never closes opens at the roll
                continue
            if order.is_open:
                ex.finish(order, "expired", at)
    days.closing = (ex.equity(), ex.prices.closes())
    ex.daily_equity.append((at, days.closing[0]))
    days.next_rollover = ex.hours.next_rollover(at + timedelta(microseconds=1))
    if ex.hours.mode == "always-open":
        _begin_day(ex, at)
    for order in opening_auction:
        order.expires_at = days.next_rollover
        matching.auction(ex, order, at)


def _begin_day(ex: Exchange, at: datetime) -> None:
    """A new trading day: last_equity and the previous closes become the last close's,
    so Day P&L (equity - last_equity, intraday P&L, change_today) restarts from them."""
    days = ex.days
    equity, closes = days.closing or (ex.equity(), ex.prices.closes())
    days.closing = None
    ex.last_equity = equity
    ex.prices.roll_day(closes, at)
    for pos in ex.positions.values():
        pos.intraday_basis = pos.qty * closes.get(pos.symbol, ex.prices.quote(pos.symbol).last)
    if ex.hours.mode == "nyse":
        days.next_day_start = ex.hours.next_day_start(at + timedelta(microseconds=1))
