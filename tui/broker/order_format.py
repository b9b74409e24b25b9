"""Figures as the order ticket and its review write them: quantities, dollars, prices, ages.

Pure formatting of numbers the ticket already checked; no parsing, no rules.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..terms import plain

CENT = Decimal("0.01")


def format_qty(value: Decimal) -> str:
    return format(Decimal(plain(value)), ",f")


def format_money(value: Decimal) -> str:
    """$1,234.56 (and -$5.00)."""
    cents = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return f"-${-cents:,.2f}" if cents < 0 else f"${cents:,.2f}"


def format_price(value: Decimal) -> str:
    """Like money, but keeps the 3rd and 4th decimals a sub-dollar price may have."""
    if value == value.quantize(CENT):
        return format_money(value)
    return f"${format(value.normalize(), ',f')}"


def order_price(value: Decimal) -> str:
    """250.00, 0.1234: cents at $1 and above, up to 4 decimals below, as prices are quoted."""
    return format(value.quantize(CENT), "f") if value >= 1 and value.adjusted() < 20 else plain(value)


def format_age(age: timedelta) -> str:
    """3 s, 5 min, 2 h, 3 d."""
    seconds = int(age.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"
