"""Numbers and times from outside the app, read with bounds.

Every figure the server or the stream sends passes through `number` (and every timestamp
through `moment`) before it is computed with or shown: NaN, infinities, `1e999999999`
(a valid Decimal whose formatting would take gigabytes) and absurd dates become None,
shown as `—`, instead of a crash or an unbounded allocation. No Textual here.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

# Far beyond any real account, price or quantity, far below what breaks formatting.
MAX_ABS = Decimal("1e15")
MAX_TEXT = 64  # characters of a number's text; longer is not a number we show
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)


def number(value: Any, limit: Decimal = MAX_ABS) -> Decimal | None:
    """A finite Decimal with |value| <= limit, or None (missing, unreadable or out of range)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        result = value
    else:
        text = value if isinstance(value, str) else str(value)
        text = text.strip()
        if not text or len(text) > MAX_TEXT:
            return None
        try:
            result = Decimal(text)
        except (InvalidOperation, ValueError):
            return None
    if not result.is_finite():
        return None
    # Compare exponents first: abs() of 1e999999999 overflows the default context.
    if result != 0 and (result.adjusted() > limit.adjusted() or result.copy_abs().compare_total(limit) > 0):
        return None
    # A huge exponent with a small coefficient is within bounds only if small: normalise
    # the representation so formatting it never makes a long string of zeros.
    if result != 0 and result.adjusted() < -30:
        return Decimal(0)
    return result


def moment(value: Any) -> datetime | None:
    """An aware datetime between 1970 and 2200, or None. Naive times are taken as UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    try:
        return value if EARLIEST <= value <= LATEST else None
    except (OverflowError, ValueError):
        return None


def age(seconds: float) -> str:
    """A duration as its largest whole unit: 42s, 3m, 2h."""
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    return f"{int(seconds // 3600)}h"
