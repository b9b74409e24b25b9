"""Display formatting shared by the panes and screens: signs and words, never colour alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

NY = ZoneInfo("America/New_York")
# Mid-luminance colours: under NO_COLOR Textual turns colours to grey by luminance, and
# pure red would become a near-black grey on a dark background. These stay readable.
UP = "#3cb371"
DOWN = "#e05050"
WARN = "#d7a700"
DASH = "—"


def dec(value: Any) -> Decimal | None:
    """A Decimal from whatever the SDK gave (str, float, None); None when unreadable."""
    if value is None or value == "":
        return None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def money(value: Any, *, cents: bool = True) -> str:
    d = dec(value)
    if d is None:
        return DASH
    return f"{d:,.2f}" if cents else f"{d:,.0f}"


def signed_money(value: Any, *, cents: bool = True) -> str:
    d = dec(value)
    if d is None:
        return DASH
    body = f"{abs(d):,.2f}" if cents else f"{abs(d):,.0f}"
    return ("+" if d > 0 else "-" if d < 0 else "±") + body


def signed_pct(value: Any, *, ratio: bool = True) -> str:
    """A percentage with its sign; `ratio` means 0.0123 → +1.23%."""
    d = dec(value)
    if d is None:
        return DASH
    pct = d * 100 if ratio else d
    return ("+" if pct > 0 else "-" if pct < 0 else "±") + f"{abs(pct):.2f}%"


def price(value: Any) -> str:
    d = dec(value)
    if d is None:
        return DASH
    return f"{d:,.4f}" if abs(d) < 1 else f"{d:,.2f}"


def quantity(value: Any) -> str:
    d = dec(value)
    if d is None:
        return DASH
    text = f"{d:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def tone(value: Any) -> str:
    """The style class for a signed figure: up, down or flat."""
    d = dec(value)
    if d is None or d == 0:
        return "flat"
    return "up" if d > 0 else "down"


def ny_time(moment: datetime | None, *, seconds: bool = True) -> str:
    if moment is None:
        return DASH
    return moment.astimezone(NY).strftime("%H:%M:%S" if seconds else "%H:%M")


COUNTDOWN_SECONDS = 600  # the last 10 minutes count seconds; before that, minutes will do


def countdown(delta: timedelta) -> str:
    """Time left, to the minute (rounded up, so it never reads 0m early), or to the second
    in the last ten minutes."""
    total = max(0, int(delta.total_seconds()))
    if total < COUNTDOWN_SECONDS:
        minutes, seconds = divmod(total, 60)
        return f"{minutes}m {seconds:02d}s"
    total = -(-total // 60) * 60
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


def age(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    return f"{int(seconds // 3600)}h"


def enum_text(value: Any) -> str:
    """An SDK enum's value, or the text itself."""
    return str(getattr(value, "value", value) or "")
