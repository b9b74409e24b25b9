"""What the user typed into the ticket, read strictly: positive numbers, prices in cents.

Every reader returns (value, None), (None, None) for a blank field, or (None, message):
nothing here raises on any text.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .order_format import CENT

# Far beyond any real order; keeps every number finite (parse_positive also wants it exact as a float).
MAX_NUMBER = Decimal("1e12")
HUNDREDTH_CENT = Decimal("0.0001")

# ASCII digits only: \d would also take "٣", which Decimal reads as 3.
PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
GROUPED_NUMBER = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?")  # "1,000" / "12,345.67"


def parse_positive(text: str, noun: str, dollars: bool = False) -> tuple[Decimal | None, str | None]:
    """(value, None), (None, None) for a blank field, or (None, message)."""
    cleaned = text.strip()
    if dollars and cleaned.startswith("$"):
        cleaned = cleaned[1:].strip()
    if not cleaned:
        return (None, f"not a number: {text.strip()!r}") if text.strip() else (None, None)
    # A strict pattern: Decimal alone would also take "nan", "1e5" and "1_000".
    if GROUPED_NUMBER.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    elif not PLAIN_NUMBER.fullmatch(cleaned):
        return None, f"not a number: {text.strip()!r}"
    try:
        value = Decimal(cleaned)
    except InvalidOperation:  # unreachable after the pattern, but never raise from validate
        return None, f"not a number: {text.strip()!r}"
    if value <= 0:
        return None, f"{noun} must be more than 0"
    if value > MAX_NUMBER:
        return None, f"{noun} is too large"
    if Decimal(repr(float(value))) != value:  # alpaca-py sends a float: it must be this very number
        return None, f"{noun}: too many digits"
    return value, None


def sub_penny_error(price: Decimal) -> str | None:
    """Alpaca refuses sub-penny prices: 2 decimals at or above $1, 4 below."""
    if price >= 1:
        if price != price.quantize(CENT):
            return "sub-penny price: at most 2 decimals at $1 and above"
    elif price != price.quantize(HUNDREDTH_CENT):
        return "sub-penny price: at most 4 decimals below $1"
    return None


def parse_price(text: str, noun: str) -> tuple[Decimal | None, str | None]:
    value, error = parse_positive(text, noun, dollars=True)
    if value is not None:
        error = sub_penny_error(value)
        if error:
            value = None
    return value, error


def choice(text: str) -> str:
    return text.strip().lower()
