"""Market data as the app uses it: plain, bounded values, whoever brought them.

The data stream (datastream.py) and the REST calls (client.py) both turn Alpaca's shapes
into these, on their own threads, through tui.numbers (so NaN, 1e999 or a year 9999 never
get further). The account state (tui/state/quotes.py) keeps them; widgets show them.
No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class QuoteTick:
    """The best bid and ask."""

    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    bid_size: Decimal | None
    ask_size: Decimal | None
    time: datetime | None


@dataclass(frozen=True)
class TradeTick:
    """One print: the last price."""

    symbol: str
    price: Decimal | None
    size: Decimal | None
    time: datetime | None


@dataclass(frozen=True)
class Bar:
    """One bar of any timeframe; `time` is when it starts."""

    symbol: str
    time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


Tick = QuoteTick | TradeTick | Bar


@dataclass(frozen=True)
class MarketSnapshot:
    """One symbol's snapshot: latest quote and trade, the minute and the day so far, and
    the previous day (its close is what "change" is measured from)."""

    symbol: str
    quote: QuoteTick | None
    trade: TradeTick | None
    minute: Bar | None
    day: Bar | None
    previous_day: Bar | None

    @property
    def prev_close(self) -> Decimal | None:
        return self.previous_day.close if self.previous_day else None


@dataclass(frozen=True)
class AssetInfo:
    """An asset as symbol lookup needs it."""

    symbol: str
    name: str
    exchange: str
    tradable: bool
    fractionable: bool = False
    shortable: bool = False


@dataclass(frozen=True)
class Watchlist:
    """One of the account's Alpaca watchlists: the same on Alpaca's web and phone apps."""

    id: str
    name: str
    symbols: tuple[str, ...]
    updated_at: datetime | None = None
