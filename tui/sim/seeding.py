"""Start-up portfolios: the sample a demo opens on, and the large books of scale tests.

Seeded positions were bought before the session (cash paid, no fill, no activity) and
seeded orders rest away from the market, so neither changes until someone trades. Each
draws from its own random stream: the same seed gives the same portfolio.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from . import assets as asset_db
from . import placement
from .fmt import round_price
from .model import Position
from .requests import OrderSpec

if TYPE_CHECKING:
    from .engine import Exchange


def sample_portfolio(ex: Exchange, now: datetime) -> None:
    """A handful of positions bought over the past weeks and limit orders away from the
    market, so a demo looks alive from the first frame."""
    rng = random.Random(f"{ex.options.seed}:sample")
    holdings = [("AAPL", 50), ("MSFT", 20), ("NVDA", 100), ("SPY", 30), ("AMD", 40), ("TSLA", -15)]
    for symbol, qty in holdings:
        prev_close = ex.prices.day(symbol).prev_close
        entry = round_price(prev_close * Decimal(str(round(rng.uniform(0.86, 1.06), 4))))
        _position(ex, symbol, Decimal(qty), entry, now)
    # Resting orders only on symbols not held: closing a sample position never meets
    # its own open order (held shares, wash trades) unless the user creates one.
    for symbol, qty, discount, tif in (("AMZN", 10, "0.95", "day"), ("GOOGL", 15, "0.9", "gtc"),
                                       ("META", 5, "0.92", "gtc")):
        limit = ex.prices.quote(symbol).bid * Decimal(discount)
        _resting_order(ex, symbol, "buy", Decimal(qty), limit, tif, now)
    # A watchlist of what is held and a few names that are not, as Alpaca's dashboard shows it.
    ex.watchlists.create({"name": "Primary", "symbols": ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "SPY",
                                                        "QQQ"]}, now)


def scale(ex: Exchange, now: datetime, positions: int, open_orders: int) -> None:
    """Many positions and resting orders (synthetic symbols past the universe), for scale tests."""
    rng = random.Random(f"{ex.options.seed}:scale")
    symbols = list(ex.assets)
    tradable = [s for s in symbols if ex.assets[s].tradable and ex.assets[s].price >= 1]
    needed = max(positions, 1)
    for symbol in asset_db.synthetic_symbols(max(0, needed - len(tradable))):
        asset = asset_db.synthetic_asset(symbol, rng)
        ex.assets[symbol] = asset
        ex.assets_by_id[asset.id] = asset
        ex.prices.add(symbol, asset.price, now)
        tradable.append(symbol)
    for symbol in tradable[:positions]:
        if symbol in ex.positions:
            continue
        prev_close = ex.prices.day(symbol).prev_close
        qty = Decimal(rng.randint(1, 20))
        _position(ex, symbol, qty, round_price(prev_close * Decimal("0.97")), now)
    pool = tradable[: max(1, min(len(tradable), 500))]
    for n in range(open_orders):
        symbol = pool[n % len(pool)]
        bid = ex.prices.quote(symbol).bid
        # A millisecond apart, as real orders are: clients page with `after` on submitted_at.
        placed = now - timedelta(milliseconds=open_orders - n)
        _resting_order(ex, symbol, "buy", Decimal(1 + n % 5), bid * Decimal("0.5"), "gtc", placed)


def _position(ex: Exchange, symbol: str, qty: Decimal, entry: Decimal, now: datetime) -> None:
    asset = ex.assets[symbol]
    prev_close = ex.prices.day(symbol).prev_close
    ex.positions[symbol] = Position(
        symbol=symbol, asset_id=asset.id, exchange=asset.exchange, marginable=asset.marginable,
        qty=qty, cost_basis=qty * entry, intraday_basis=qty * prev_close, opened_at=now - timedelta(days=30),
    )
    ex.cash -= qty * entry


def _resting_order(ex: Exchange, symbol: str, side: str, qty: Decimal, limit: Decimal, tif: str,
                   now: datetime) -> None:
    spec = OrderSpec(symbol=symbol, side=side, type="limit", time_in_force=tif, qty=qty,
                     limit_price=round_price(limit))
    placement.new_order(ex, spec, ex.assets[symbol], now, side, "limit", spec.limit_price, None,
                        "new" if ex.hours.can_trade(now, False) else "accepted")
