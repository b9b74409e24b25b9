"""The market-data API's shapes (latest quotes, trades, snapshots) for the simulator's prices.

Market data uses JSON numbers and single-letter keys, unlike the trading API's strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .assets import Asset
from .bars import BarSource, DayBar, bar_json
from ..terms import NEW_YORK
from .fmt import ts
from .prices import PriceBook

EXCHANGE_CODES = {"NASDAQ": "Q", "NYSE": "N", "ARCA": "P", "AMEX": "A", "BATS": "Z"}
TAPES = {"NASDAQ": "C", "NYSE": "A"}  # everything else prints on tape B


def quote_json(prices: PriceBook, asset: Asset) -> dict[str, Any]:
    q = prices.quote(asset.symbol)
    exchange = EXCHANGE_CODES.get(asset.exchange, "V")
    return {"t": ts(q.time), "ax": exchange, "ap": float(q.ask), "as": q.ask_size // 100,
            "bx": exchange, "bp": float(q.bid), "bs": q.bid_size // 100, "c": ["R"],
            "z": TAPES.get(asset.exchange, "B")}


def trade_json(prices: PriceBook, asset: Asset) -> dict[str, Any]:
    q = prices.quote(asset.symbol)
    return {"t": ts(q.time), "x": EXCHANGE_CODES.get(asset.exchange, "V"), "p": float(q.last), "s": q.last_size,
            "c": ["@"], "i": prices.next_trade_id(), "z": TAPES.get(asset.exchange, "B")}


def snapshot_json(prices: PriceBook, asset: Asset, bars: BarSource) -> dict[str, Any]:
    """The snapshot as the bars tell it (see docs/simulator.md, Market data): dailyBar and
    prevDailyBar are the last two daily bars /bars gives, minuteBar the last minute bar."""
    day, previous = bars.latest_days(asset.symbol)
    minute = bars.last_minute(asset.symbol, day) if day is not None else None
    return {
        "latestTrade": trade_json(prices, asset),
        "latestQuote": quote_json(prices, asset),
        "minuteBar": bar_json(minute) if minute is not None else None,
        "dailyBar": _day_json(day),
        "prevDailyBar": _day_json(previous),
    }


def _day_json(db: DayBar | None) -> dict[str, Any] | None:
    if db is None:
        return None
    midnight = datetime.combine(db.day.date, datetime.min.time(), NEW_YORK)
    return bar_json({"t": midnight, "o": db.o, "h": db.h, "l": db.l, "c": db.c, "v": db.v, "n": db.n})
