"""How the simulator writes values on the wire: numbers as strings, times in New York."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from ..terms import NEW_YORK as NY  # the name the simulator's tests import from here
from ..terms import plain

CENT = Decimal("0.01")
PRICE_4DP = Decimal("0.0001")


def num(value: Decimal | None) -> str | None:
    """A decimal as Alpaca sends it (terms.plain); None, a field Alpaca sends as null, stays None."""
    return None if value is None else plain(value)


def money(value: Decimal) -> str:
    """Dollar amounts with cents, e.g. "100000.00"."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def ratio(value: Decimal) -> str:
    """Fractions such as unrealized_plpc, to 6 places like the live service."""
    return num(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))


def ts(moment: datetime | None) -> str | None:
    """RFC 3339 with the New York offset (the service sends -04:00 / -05:00)."""
    if moment is None:
        return None
    return moment.astimezone(NY).isoformat(timespec="microseconds")


def round_price(price: Decimal) -> Decimal:
    """Quotes move in cents at or above $1 and in hundredths of a cent below."""
    step = CENT if price >= 1 else PRICE_4DP
    return price.quantize(step, rounding=ROUND_HALF_UP)


def is_valid_increment(price: Decimal) -> bool:
    """Alpaca refuses sub-penny prices: 2 decimals at or above $1, 4 below."""
    step = CENT if price >= 1 else PRICE_4DP
    return price == price.quantize(step)
