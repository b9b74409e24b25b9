"""Live prices: what the data stream and the snapshots say of each symbol, and which
symbols the stream should carry.

The free plan streams about 30 symbols on one connection. `plan_symbols` spends them in
the order a trader needs them: the symbol on screen (detail, ticket), then positions, open
orders and the watchlist; the rest are read from snapshots every few seconds and marked so.

Threads: only the UI thread changes the book; it swaps `prices` whole on each change (a
small dict), so a worker that reads `book.prices` once holds a consistent copy.
No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

from ..broker.market import Bar, MarketSnapshot, QuoteTick, Tick, TradeTick
from ..numbers import number

STALE_AFTER = 5.0  # seconds: an older price says how old it is
MAX_MINUTES = 400  # a session has 390 minutes; the sparkline needs no more

STREAM, SNAPSHOT = "stream", "snapshot"


@dataclass(frozen=True)
class Plan:
    """Which symbols the data stream carries, and which are read from snapshots instead."""

    streamed: tuple[str, ...] = ()
    polled: tuple[str, ...] = ()

    @property
    def wanted(self) -> tuple[str, ...]:
        return self.streamed + self.polled


def plan_symbols(groups: Iterable[Iterable[str]], limit: int) -> Plan:
    """The symbols of `groups` (most wanted first), each once; the first `limit` streamed."""
    seen: dict[str, None] = {}
    for group in groups:
        for symbol in group:
            if symbol:
                seen.setdefault(symbol, None)
    ordered = tuple(seen)
    limit = max(0, limit)
    return Plan(ordered[:limit], ordered[limit:])


@dataclass(frozen=True)
class LivePrice:
    """One symbol's latest market data."""

    symbol: str
    source: str = SNAPSHOT  # STREAM | SNAPSHOT: where its latest quote or trade came from
    received: float = 0.0  # monotonic seconds when that came
    time: datetime | None = None  # the server's time of the newest quote or trade
    bid: Decimal | None = None
    ask: Decimal | None = None
    bid_size: Decimal | None = None
    ask_size: Decimal | None = None
    last: Decimal | None = None
    last_size: Decimal | None = None
    open: Decimal | None = None  # the day so far
    high: Decimal | None = None
    low: Decimal | None = None
    volume: Decimal | None = None
    prev_close: Decimal | None = None
    minutes: tuple[tuple[datetime, Decimal], ...] = field(default=(), repr=False)  # today's closes

    @property
    def price(self) -> Decimal | None:
        """The last trade, or the middle of the quote before any trade."""
        if self.last is not None:
            return self.last
        if self.bid and self.ask:
            return (self.bid + self.ask) / 2
        return None

    @property
    def change(self) -> Decimal | None:
        price, prev = self.price, self.prev_close
        return None if price is None or prev is None else number(price - prev)

    @property
    def change_pct(self) -> Decimal | None:
        change, prev = self.change, self.prev_close
        return None if change is None or not prev else number(change / prev)

    def age(self, mono_now: float, server_now: datetime | None = None) -> float:
        """Seconds since the price was true: from the server's time of it when known (a
        snapshot can bring a trade hours old), else since it came."""
        if self.time is not None and server_now is not None:
            return max(0.0, (server_now - self.time).total_seconds())
        return max(0.0, mono_now - self.received)


def _newer(time: datetime | None, than: datetime | None) -> bool:
    return than is None or (time is not None and time >= than)


def _with_quote(price: LivePrice, tick: QuoteTick) -> LivePrice:
    return replace(price, bid=tick.bid, ask=tick.ask, bid_size=tick.bid_size, ask_size=tick.ask_size,
                   time=max(filter(None, (price.time, tick.time)), default=None))


def _with_trade(price: LivePrice, tick: TradeTick) -> LivePrice:
    if tick.price is None:
        return price
    high = tick.price if price.high is None else max(price.high, tick.price)
    low = tick.price if price.low is None else min(price.low, tick.price)
    volume = price.volume if price.volume is None or tick.size is None else number(price.volume + tick.size)
    return replace(price, last=tick.price, last_size=tick.size, high=high, low=low, volume=volume,
                   open=price.open if price.open is not None else tick.price,
                   time=max(filter(None, (price.time, tick.time)), default=None))


def _with_minute(price: LivePrice, bar: Bar) -> LivePrice:
    minutes = price.minutes
    if minutes and minutes[-1][0] == bar.time:
        minutes = minutes[:-1]
    elif minutes and minutes[-1][0] > bar.time:
        return price  # late: the sparkline only moves forward
    minutes = (minutes + ((bar.time, bar.close),))[-MAX_MINUTES:]
    high = bar.high if price.high is None else max(price.high, bar.high)
    low = bar.low if price.low is None else min(price.low, bar.low)
    return replace(price, minutes=minutes, high=high, low=low)


class QuoteBook:
    """Every symbol's LivePrice, and the bars streamed for them (for charts)."""

    def __init__(self) -> None:
        self.prices: Mapping[str, LivePrice] = {}
        self.bar_listeners: list[Any] = []  # callables given each streamed Bar (the detail screen)

    def get(self, symbol: str) -> LivePrice | None:
        return self.prices.get(symbol)

    def apply_ticks(self, ticks: Sequence[Tick], received: float) -> set[str]:
        """Stream ticks; returns the symbols whose figures changed."""
        prices = dict(self.prices)
        changed: set[str] = set()
        for tick in ticks:
            before = prices.get(tick.symbol) or LivePrice(tick.symbol)
            if isinstance(tick, QuoteTick):
                after = _with_quote(before, tick)
            elif isinstance(tick, TradeTick):
                after = _with_trade(before, tick)
            else:
                after = _with_minute(before, tick)
                for listener in list(self.bar_listeners):
                    listener(tick)
            if after is not before:
                prices[tick.symbol] = replace(after, source=STREAM, received=received)
                changed.add(tick.symbol)
        if changed:
            self.prices = prices
        return changed

    def apply_snapshots(self, snapshots: Mapping[str, MarketSnapshot], received: float) -> set[str]:
        """Snapshots: the day's figures always; quote and trade only when newer than the
        stream's (a snapshot read while ticks flow may be older than the last tick)."""
        prices = dict(self.prices)
        for symbol, snap in snapshots.items():
            price = prices.get(symbol) or LivePrice(symbol)
            day = snap.day
            price = replace(price, prev_close=snap.prev_close if snap.prev_close is not None else price.prev_close,
                            open=day.open if day else price.open, high=day.high if day else price.high,
                            low=day.low if day else price.low, volume=day.volume if day else price.volume)
            fresh = False
            if snap.quote is not None and _newer(snap.quote.time, price.time):
                price, fresh = _with_quote(price, snap.quote), True
            if snap.trade is not None and snap.trade.price is not None and _newer(snap.trade.time, price.time):
                price = replace(price, last=snap.trade.price, last_size=snap.trade.size,
                                time=max(filter(None, (price.time, snap.trade.time)), default=None))
                fresh = True
            if fresh or price.source != STREAM:
                price = replace(price, source=SNAPSHOT, received=received)
            prices[symbol] = price
        self.prices = prices
        return set(snapshots)

    def apply_minutes(self, symbol: str, bars: Sequence[Bar]) -> None:
        """Today's bars so far (the sparkline's history); streamed minutes add to them."""
        price = self.prices.get(symbol) or LivePrice(symbol)
        streamed = [m for m in price.minutes if not bars or m[0] > bars[-1].time]
        minutes = tuple((bar.time, bar.close) for bar in bars) + tuple(streamed)
        self.prices = {**self.prices, symbol: replace(price, minutes=minutes[-MAX_MINUTES:])}

    def forget(self, keep: Iterable[str]) -> None:
        """Drop the symbols no longer shown anywhere."""
        keep = set(keep)
        if set(self.prices) - keep:
            self.prices = {symbol: price for symbol, price in self.prices.items() if symbol in keep}


# ---- positions at the live price -----------------------------------------------------------

REPRICED = ("current_price", "market_value", "unrealized_pl", "unrealized_plpc", "unrealized_intraday_pl",
            "unrealized_intraday_plpc", "change_today")


def repriced(position: Any, price: Decimal | None) -> Any:
    """The position valued at `price`, as Alpaca would value it: market value = qty × price,
    unrealized P&L = market value − cost basis (shorts have negative quantity, value and
    cost), today's P&L against yesterday's close. The position itself when it cannot be."""
    qty, cost = number(getattr(position, "qty", None)), number(getattr(position, "cost_basis", None))
    copy = getattr(position, "model_copy", None)
    if price is None or qty is None or cost is None or copy is None:
        return position
    value = number(qty * price)
    if value is None:
        return position
    pl = number(value - cost)
    update: dict[str, Any] = {"current_price": str(price), "market_value": str(value),
                              "unrealized_pl": None if pl is None else str(pl)}
    if pl is not None and cost:
        update["unrealized_plpc"] = str(number(pl / abs(cost)))
    lastday = number(getattr(position, "lastday_price", None))
    if lastday:
        intraday = number(qty * (price - lastday))
        update["unrealized_intraday_pl"] = None if intraday is None else str(intraday)
        update["change_today"] = str(number((price - lastday) / lastday))
        if intraday is not None:
            base = number(abs(qty * lastday))
            update["unrealized_intraday_plpc"] = str(number(intraday / base)) if base else None
    return copy(update=update)


def reprice_all(positions: Sequence[Any], prices: Mapping[str, LivePrice], since: float) -> list[Any]:
    """Positions valued at the prices that came after `since` (monotonic: when the
    positions were read; an older tick would put back a price the server has moved on from)."""
    out = []
    for position in positions:
        live = prices.get(str(getattr(position, "symbol", "")))
        fresh = live is not None and live.received >= since and live.price is not None
        out.append(repriced(position, live.price) if fresh else position)
    return out
