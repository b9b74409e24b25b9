"""Quotes for the simulated market: a seeded random walk with a bid/ask spread, or still prices.

Orders fill against these quotes (buy at the ask, sell at the bid) and the market-data
endpoints serve the same numbers, so what a client sees is what it gets.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from .fmt import CENT, PRICE_4DP, round_price

# The walk's volatility per 1 s step: about 0.04% keeps it realistic intraday (faster steps
# take a share of it: PriceBook.step_seconds).
STEP_SIGMA = 0.0004
# The opening gap from the previous close, so a demo starts with a day P&L that is not zero.
OPENING_GAP_SIGMA = 0.008


@dataclass
class Quote:
    symbol: str
    bid: Decimal
    ask: Decimal
    bid_size: int
    ask_size: int
    last: Decimal
    last_size: int
    time: datetime


@dataclass
class DayStats:
    """Yesterday's close (for intraday P&L and the history's last close), the walk's range
    since the record began, and the simulated fills' volume. Snapshots and bars do not read
    open/high/low/volume: they add up today's minute bars (bars.BarSource)."""

    prev_close: Decimal
    open: Decimal
    high: Decimal
    low: Decimal
    volume: int = 0
    trades: int = 0


@dataclass
class MinuteTrades:
    """One minute of the walk's prints for one symbol, as the data stream's minute bar counts
    them: every price step (and every price set) is a trade of the quote's last_size."""

    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    trades: int
    value: Decimal  # sum of price * size, for the volume-weighted price

    def add(self, price: Decimal, size: int) -> None:
        self.high, self.low, self.close = max(self.high, price), min(self.low, price), price
        self.volume += size
        self.trades += 1
        self.value += price * size


def minute_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


class PriceBook:
    def __init__(self, reference: dict[str, Decimal], *, seed: int, moving: bool, now: datetime,
                 step_seconds: float = 1.0) -> None:
        self._rng = random.Random(f"{seed}:prices")
        self.moving = moving
        # Seconds between the walk's steps; a step's volatility scales with its square root,
        # so prices wander as much per second whatever the step rate.
        self.step_seconds = step_seconds
        self._sigma = STEP_SIGMA * math.sqrt(step_seconds)
        self._quotes: dict[str, Quote] = {}
        self._days: dict[str, DayStats] = {}
        # Since the trading day began (or the book was made): each symbol's prints by minute,
        # and where the walk stood when the record began (time, price). Historical bars
        # draw today's minutes before that moment and serve the recorded ones after it.
        self._minutes: dict[str, dict[datetime, MinuteTrades]] = {}
        self._anchors: dict[str, tuple[datetime, Decimal]] = {}
        self._trade_ids = 0
        for symbol, prev_close in reference.items():
            self.add(symbol, prev_close, now)

    def add(self, symbol: str, prev_close: Decimal, now: datetime) -> None:
        gap = Decimal(str(round(self._rng.gauss(0, OPENING_GAP_SIGMA), 5)))
        last = max(round_price(prev_close * (1 + gap)), PRICE_4DP)
        self._days[symbol] = DayStats(prev_close=prev_close, open=last, high=last, low=last)
        self._quotes[symbol] = self._quote(symbol, last, now)
        self._minutes[symbol] = {}
        self._anchors[symbol] = (now, last)

    def __contains__(self, symbol: str) -> bool:
        return symbol in self._quotes

    def quote(self, symbol: str) -> Quote:
        return self._quotes[symbol]

    def day(self, symbol: str) -> DayStats:
        return self._days[symbol]

    def anchor(self, symbol: str) -> tuple[datetime, Decimal]:
        """(when, price): where the record of today's prints begins."""
        return self._anchors[symbol]

    def minutes(self, symbol: str) -> dict[datetime, MinuteTrades]:
        """Today's recorded prints by minute (UTC minute start), oldest first. Read only."""
        return self._minutes[symbol]

    def step(self, now: datetime) -> None:
        """One step of the random walk for every symbol (live prices only)."""
        if not self.moving:
            return
        gauss = self._rng.gauss
        for symbol, quote in self._quotes.items():
            move = Decimal(str(round(gauss(0, self._sigma), 6)))
            self._set_last(symbol, quote.last * (1 + move), now)

    def set_price(self, symbol: str, price: Decimal, now: datetime) -> Quote:
        """Move one symbol to a price: for tests, demos and bots that want a market event."""
        self._set_last(symbol, price, now)
        return self._quotes[symbol]

    def record_trade(self, symbol: str, qty: Decimal) -> None:
        day = self._days[symbol]
        day.volume += int(qty) or 1
        day.trades += 1

    def closes(self) -> dict[str, Decimal]:
        """Every symbol's last price: taken at the regular close, tomorrow's previous close."""
        return {symbol: quote.last for symbol, quote in self._quotes.items()}

    def roll_day(self, closes: dict[str, Decimal], now: datetime | None = None) -> None:
        """A new trading day: the prices noted at the last close become the previous closes,
        and the record of prints starts again."""
        for symbol, quote in self._quotes.items():
            last = quote.last
            self._days[symbol] = DayStats(prev_close=closes.get(symbol, last), open=last, high=last, low=last)
            self._minutes[symbol] = {}
            self._anchors[symbol] = (now or quote.time, last)

    def next_trade_id(self) -> int:
        self._trade_ids += 1
        return self._trade_ids

    def _set_last(self, symbol: str, price: Decimal, now: datetime) -> None:
        last = max(round_price(price), PRICE_4DP)
        day = self._days[symbol]
        day.high = max(day.high, last)
        day.low = min(day.low, last)
        quote = self._quotes[symbol] = self._quote(symbol, last, now)
        minute, record = minute_of(now), self._minutes[symbol]
        bar = record.get(minute)
        if bar is None:
            record[minute] = MinuteTrades(last, last, last, last, quote.last_size, 1, last * quote.last_size)
        else:
            bar.add(last, quote.last_size)

    def _quote(self, symbol: str, last: Decimal, now: datetime) -> Quote:
        # Half a basis point either side, at least one tick: tight like a liquid large cap.
        tick = CENT if last >= 1 else PRICE_4DP
        half = max(round_price(last * Decimal("0.00005")), tick)
        bid = max(round_price(last - half), tick)
        ask = round_price(last + half)
        rng = self._rng
        return Quote(
            symbol=symbol,
            bid=bid,
            ask=ask,
            bid_size=rng.randint(1, 9) * 100,
            ask_size=rng.randint(1, 9) * 100,
            last=last,
            last_size=rng.randint(1, 5) * 100,
            time=now,
        )
