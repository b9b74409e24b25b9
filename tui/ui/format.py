"""Display formatting shared by the panes and screens: signs and words, never colour alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from ..terms import NEW_YORK

from ..numbers import age as short_age, moment, number
from ..text import clean, show_symbol

NY = NEW_YORK  # the exchange's clock
# Mid-luminance colours: under NO_COLOR Textual turns colours to grey by luminance, and
# pure red would become a near-black grey on a dark background. These stay readable.
UP = "#3cb371"
DOWN = "#e05050"
WARN = "#d7a700"
DASH = "—"


def dec(value: Any) -> Decimal | None:
    """A Decimal from whatever the SDK gave (str, float, None); None when unreadable or out
    of bounds (tui.numbers.number): `1e999999999` would take gigabytes to format. Results of
    arithmetic on such figures pass through here again before they are shown."""
    return number(value)


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


PRICE_FIGURES = 4  # significant figures kept below $1: crypto trades at 0.000012


def price(value: Any) -> str:
    """Cents from $1 up; below that at least 4 decimals, more when the price has them
    (to 4 significant figures), so 0.000012 never reads 0.0000."""
    d = dec(value)
    if d is None:
        return DASH
    if abs(d) >= 1:
        return f"{d:,.2f}"
    places = 4
    if d:
        exact = max(0, -d.normalize().as_tuple().exponent)
        places = max(4, min(exact, PRICE_FIGURES - 1 - d.adjusted()))
    return f"{d:,.{places}f}"


def signed_price(value: Any) -> str:
    """A price difference with its sign, in cents and what finer digits it has (to 6):
    +0.03, -0.005, -1.25, ±0.00."""
    d = dec(value)
    if d is None:
        return DASH
    body = f"{abs(d):,.6f}".rstrip("0")
    if len(body.split(".")[1]) < 2:
        body = f"{abs(d):,.2f}"
    return ("+" if d > 0 else "-" if d < 0 else "±") + body


def signed_dollars(value: Any) -> str:
    """Money with its sign before the dollar: -$2.60, +$0.05."""
    text = signed_money(value)
    return text if text == DASH else f"{text[0]}${text[1:]}"


def basis_points(value: Any) -> str:
    """Basis points with their sign, to a tenth: -1.2 bp."""
    d = dec(value)
    if d is None:
        return DASH
    return ("+" if d > 0 else "-" if d < 0 else "±") + f"{abs(d):,.1f} bp"


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


def ny_time(at: datetime | None, *, seconds: bool = True) -> str:
    at = moment(at)  # year 1 or 9999 from a server would overflow astimezone
    if at is None:
        return DASH
    return at.astimezone(NY).strftime("%H:%M:%S" if seconds else "%H:%M")


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
    return DASH if seconds is None else short_age(seconds)


def enum_text(value: Any) -> str:
    """An SDK enum's value, or the text itself."""
    return str(getattr(value, "value", value) or "")


WORD_LIMIT = 24  # characters of a server word in a cell (a status, a side): longer is not one


def word(value: Any) -> str:
    """A server word (status, side, type, time in force, asset class) for a table cell:
    one line of plain printable text, whatever the server sent."""
    return clean(enum_text(value), one_line=True, limit=WORD_LIMIT)


# ---- instruments: OCC option symbols, crypto pairs, stocks ------------------------------

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
OPTION_MULTIPLIER = 100  # shares per standard US equity option contract


@dataclass(frozen=True)
class OptionSymbol:
    underlying: str
    expiry: date
    right: str  # "C" | "P"
    strike: Decimal

    def __str__(self) -> str:
        strike = f"{self.strike:f}"
        strike = strike.rstrip("0").rstrip(".") if "." in strike else strike
        return f"{self.underlying} {self.expiry.day:02d} {MONTHS[self.expiry.month - 1]} " \
               f"{self.expiry.year % 100:02d} {strike} {self.right}"


def parse_option(symbol: Any) -> OptionSymbol | None:
    """An OCC option symbol (root, YYMMDD, C/P, strike × 1000 in 8 digits:
    AAPL260116C00250000), or None when `symbol` is not one. The last 15 characters are
    fixed-width, so a root ending in a digit (adjusted contracts: AAPL1) parses too."""
    if not isinstance(symbol, str) or not 16 <= len(symbol) <= 21:
        return None
    root, tail = symbol[:-15], symbol[-15:]
    yymmdd, right, strike = tail[:6], tail[6], tail[7:]
    if not (root.isascii() and root.isalnum() and root[0].isalpha() and root == root.upper()):
        return None
    if right not in "CP" or not (yymmdd.isascii() and yymmdd.isdigit() and strike.isascii() and strike.isdigit()):
        return None
    try:
        expiry = date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        return None
    return OptionSymbol(root, expiry, right, Decimal(int(strike)) / 1000)


def instrument(symbol: Any, asset_class: Any = None) -> str:
    """A symbol as the tables show it: an option as `AAPL 16 Jan 26 250 C`, anything
    else as sent (through show_symbol: an escape sequence shows escaped, never acts)."""
    kind = enum_text(asset_class)
    if kind in ("", "us_option"):
        option = parse_option(symbol)
        if option is not None:
            return str(option)
    return show_symbol(symbol)


def multiplier(symbol: Any, asset_class: Any = None) -> int:
    """What one unit of `symbol` is worth per unit of its price: 100 for an option."""
    kind = enum_text(asset_class)
    return OPTION_MULTIPLIER if kind in ("", "us_option") and parse_option(symbol) is not None else 1
