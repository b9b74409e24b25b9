"""The account's watchlists: named, ordered lists of symbols, as /v2/watchlists serves them.

Alpaca documents the calls but not every refusal; where it is silent the simulator refuses
with 422 and a message that says what was wrong (docs/simulator.md lists them).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import not_found, unprocessable
from .fmt import ts

if TYPE_CHECKING:
    from .engine import Exchange

MAX_NAME = 64  # characters (Alpaca: "an arbitrary string up to 64 characters")
MAX_SYMBOLS = 1000  # per watchlist: a bound on what one request can make the simulator hold
MAX_WATCHLISTS = 200


@dataclass
class Watchlist:
    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    symbols: list[str] = field(default_factory=list)


class Watchlists:
    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.by_id: dict[str, Watchlist] = {}
        # Their own ids: making one never shifts the order ids a seed gives.
        self._ids = random.Random(f"{exchange.options.seed}:watchlists")

    # ---- the wire ----

    def to_json(self, watchlist: Watchlist, *, assets: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": watchlist.id, "account_id": self.exchange.account_id, "name": watchlist.name,
            "created_at": ts(watchlist.created_at), "updated_at": ts(watchlist.updated_at),
        }
        if assets:  # the list of watchlists leaves them out, as Alpaca's does
            body["assets"] = [self.exchange.assets[s].to_json() for s in watchlist.symbols]
        return body

    # ---- reads ----

    def all(self) -> list[Watchlist]:
        return sorted(self.by_id.values(), key=lambda w: w.created_at)

    def get(self, watchlist_id: str) -> Watchlist:
        found = self.by_id.get(watchlist_id)
        if found is None:
            raise not_found("watchlist not found")
        return found

    def named(self, name: Any) -> Watchlist:
        found = next((w for w in self.by_id.values() if w.name == name), None)
        if found is None:
            raise not_found("watchlist not found")
        return found

    # ---- changes ----

    def create(self, body: Any, now: datetime) -> Watchlist:
        body = body if isinstance(body, dict) else {}
        if len(self.by_id) >= MAX_WATCHLISTS:
            raise unprocessable(f"an account has at most {MAX_WATCHLISTS} watchlists")
        name = self._name(body.get("name"))
        symbols = self._symbols(body.get("symbols") or [])
        watchlist = Watchlist(str(uuid.UUID(int=self._ids.getrandbits(128), version=4)), name, now, now, symbols)
        self.by_id[watchlist.id] = watchlist
        return watchlist

    def update(self, watchlist: Watchlist, body: Any, now: datetime) -> Watchlist:
        body = body if isinstance(body, dict) else {}
        if body.get("name") is None and body.get("symbols") is None:
            raise unprocessable("name or symbols is required")
        if body.get("name") is not None:
            watchlist.name = self._name(body["name"], keep=watchlist)
        if body.get("symbols") is not None:
            watchlist.symbols = self._symbols(body["symbols"])
        watchlist.updated_at = now
        return watchlist

    def add(self, watchlist: Watchlist, body: Any, now: datetime) -> Watchlist:
        symbol = (body or {}).get("symbol") if isinstance(body, dict) else None
        [symbol] = self._symbols([symbol])
        if symbol in watchlist.symbols:
            raise unprocessable(f"{symbol} is already in the watchlist")
        if len(watchlist.symbols) >= MAX_SYMBOLS:
            raise unprocessable(f"a watchlist holds at most {MAX_SYMBOLS} symbols")
        watchlist.symbols.append(symbol)
        watchlist.updated_at = now
        return watchlist

    def remove(self, watchlist: Watchlist, symbol: str, now: datetime) -> Watchlist:
        symbol = symbol.upper()
        if symbol not in watchlist.symbols:
            raise not_found(f"{symbol} is not in the watchlist")
        watchlist.symbols.remove(symbol)
        watchlist.updated_at = now
        return watchlist

    def delete(self, watchlist: Watchlist) -> None:
        del self.by_id[watchlist.id]

    # ---- checks ----

    def _name(self, name: Any, keep: Watchlist | None = None) -> str:
        if not isinstance(name, str) or not name.strip():
            raise unprocessable("name is required")
        if len(name) > MAX_NAME:
            raise unprocessable(f"name must be at most {MAX_NAME} characters")
        if any(w.name == name and w is not keep for w in self.by_id.values()):
            raise unprocessable("watchlist name must be unique")
        return name

    def _symbols(self, symbols: Any) -> list[str]:
        if not isinstance(symbols, list) or len(symbols) > MAX_SYMBOLS:
            raise unprocessable(f"symbols must be a list of at most {MAX_SYMBOLS} symbols")
        found: list[str] = []
        for symbol in symbols:
            asset = self.exchange.assets.get(symbol.upper()) if isinstance(symbol, str) else None
            if asset is None:
                raise unprocessable(f"asset not found: {str(symbol)[:32]}")
            if asset.symbol not in found:
                found.append(asset.symbol)
        return found
