"""The market-data API's shapes (latest quotes, trades, snapshots) for the simulator's prices.

Market data uses JSON numbers and single-letter keys, unlike the trading API's strings.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .assets import Asset
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


def snapshot_json(prices: PriceBook, asset: Asset) -> dict[str, Any]:
    q, day = prices.quote(asset.symbol), prices.day(asset.symbol)
    now = q.time.astimezone(NEW_YORK)
    minute = now.replace(second=0, microsecond=0)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    last, prev = float(q.last), float(day.prev_close)
    return {
        "latestTrade": trade_json(prices, asset),
        "latestQuote": quote_json(prices, asset),
        "minuteBar": {"t": ts(minute), "o": last, "h": last, "l": last, "c": last, "v": q.last_size,
                      "n": 1, "vw": last},
        "dailyBar": {"t": ts(midnight), "o": float(day.open), "h": float(day.high), "l": float(day.low),
                     "c": last, "v": day.volume, "n": day.trades, "vw": float((day.high + day.low) / 2)},
        "prevDailyBar": {"t": ts(midnight - timedelta(days=1)), "o": prev, "h": prev, "l": prev, "c": prev,
                         "v": 0, "n": 0, "vw": prev},
    }
