"""NYSE trading calendar for the simulator's ``--market nyse`` mode and GET /v2/calendar.

Full-day closures come from ``holidays.financial_holidays("NYSE")`` (observed days and
special closings included).  Early closes (13:00 regular close, 17:00 end of extended hours)
are not in that package, so NYSE's standing rules are applied here:

* the day after Thanksgiving;
* Christmas Eve (Dec 24) when it is a weekday trading day;
* July 3 when it is a weekday trading day and July 4 is a weekday.  When July 4 falls on a
  weekend the observed holiday is Fri July 3 or Mon July 5 and there is no early close
  (e.g. 2021, 2027: Fri July 2 is a full day).

All returned datetimes are aware and in America/New_York.  Note that Python compares and
subtracts two datetimes that share a tzinfo by wall-clock time, ignoring the UTC offset; the
boundaries used here (04:00..20:00, midnight) never fall in a DST gap or overlap, so
comparisons are safe, but callers computing durations across a DST change should subtract
UTC datetimes (``a.astimezone(UTC) - b.astimezone(UTC)``).

Pure Python, no I/O, nothing from Textual.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum

from ..terms import NEW_YORK as NY  # the calendar's name for it, which its tests import

SESSION_OPEN = time(4, 0)
REGULAR_OPEN = time(9, 30)
REGULAR_CLOSE = time(16, 0)
EARLY_CLOSE = time(13, 0)
SESSION_CLOSE = time(20, 0)
EARLY_SESSION_CLOSE = time(17, 0)

# Bound for day-by-day searches: NYSE has never been closed for more than a couple of
# weeks in a row (the longest modern closure was 4 days in Sept 2001).
_MAX_SEARCH_DAYS = 60


@dataclass(frozen=True)
class TradingDay:
    date: date
    open: datetime
    close: datetime
    session_open: datetime
    session_close: datetime

    @property
    def early_close(self) -> bool:
        return self.close.time() != REGULAR_CLOSE


class Phase(str, Enum):
    PRE = "pre"  # 04:00 - 09:30
    REGULAR = "regular"  # 09:30 - close
    POST = "post"  # close - session_close
    CLOSED = "closed"


@dataclass(frozen=True)
class ClockState:
    timestamp: datetime
    is_open: bool
    next_open: datetime
    next_close: datetime


def _at(d: date, t: time) -> datetime:
    # combine() with tzinfo gives the correct offset for that date, across DST changes.
    return datetime.combine(d, t, tzinfo=NY)


def _early_closes(year: int, closed: set[date]) -> set[date]:
    def trading(d: date) -> bool:
        return d.weekday() < 5 and d not in closed

    early: set[date] = set()
    # Thanksgiving is the 4th Thursday of November; the Friday after closes early.
    nov1 = date(year, 11, 1)
    thanksgiving = nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 21)
    if trading(thanksgiving + timedelta(days=1)):
        early.add(thanksgiving + timedelta(days=1))
    if trading(date(year, 12, 24)):
        early.add(date(year, 12, 24))
    july3, july4 = date(year, 7, 3), date(year, 7, 4)
    if trading(july3) and july4.weekday() < 5:
        early.add(july3)
    return early


@functools.lru_cache(maxsize=None)
def _year(year: int) -> dict[date, TradingDay]:
    """All trading days of one year, keyed by date (cached per year)."""
    import holidays  # ~0.25 s, paid on the first calendar question, not when the simulator starts

    closed = set(holidays.financial_holidays("NYSE", years=year).keys())
    early = _early_closes(year, closed)
    days: dict[date, TradingDay] = {}
    d = date(year, 1, 1)
    while d.year == year:
        if d.weekday() < 5 and d not in closed:
            is_early = d in early
            days[d] = TradingDay(
                date=d,
                open=_at(d, REGULAR_OPEN),
                close=_at(d, EARLY_CLOSE if is_early else REGULAR_CLOSE),
                session_open=_at(d, SESSION_OPEN),
                session_close=_at(d, EARLY_SESSION_CLOSE if is_early else SESSION_CLOSE),
            )
        d += timedelta(days=1)
    return days


def trading_day(d: date) -> TradingDay | None:
    return _year(d.year).get(d)


def is_trading_day(d: date) -> bool:
    return trading_day(d) is not None


def trading_days(start: date, end: date) -> list[TradingDay]:
    """Trading days from start to end, both inclusive, in order."""
    out: list[TradingDay] = []
    for year in range(start.year, end.year + 1):
        out.extend(td for d, td in _year(year).items() if start <= d <= end)
    return out


def _step(d: date, delta: int) -> TradingDay:
    for _ in range(_MAX_SEARCH_DAYS):
        d += timedelta(days=delta)
        td = trading_day(d)
        if td is not None:
            return td
    raise ValueError(f"no trading day within {_MAX_SEARCH_DAYS} days of {d}")


def next_trading_day(d: date) -> TradingDay:
    """The first trading day strictly after d."""
    return _step(d, 1)


def previous_trading_day(d: date) -> TradingDay:
    """The last trading day strictly before d."""
    return _step(d, -1)


def trading_days_back(d: date, n: int) -> list[date]:
    """The last n trading days ending at d (d included if it trades), oldest first."""
    if n <= 0:
        return []
    td = trading_day(d) or previous_trading_day(d)
    out = [td.date]
    while len(out) < n:
        td = previous_trading_day(td.date)
        out.append(td.date)
    out.reverse()
    return out


def _ny(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(NY)


def phase_at(now: datetime) -> Phase:
    now = _ny(now)
    td = trading_day(now.date())
    if td is None or now < td.session_open or now >= td.session_close:
        return Phase.CLOSED
    if now < td.open:
        return Phase.PRE
    if now < td.close:
        return Phase.REGULAR
    return Phase.POST


def session_date(now: datetime) -> date | None:
    """The trading day whose 04:00 - session_close window contains now, else None."""
    now = _ny(now)
    td = trading_day(now.date())
    if td is not None and td.session_open <= now < td.session_close:
        return td.date
    return None


def _first_after(now: datetime, attr: str) -> datetime:
    """The first `attr` time (open/close/session_close) of any trading day strictly after now."""
    td = trading_day(now.date())
    if td is not None and getattr(td, attr) > now:
        return getattr(td, attr)
    return getattr(next_trading_day(now.date()), attr)


def nyse_clock(now: datetime) -> ClockState:
    """Like Alpaca's /v2/clock: open only during regular hours; next_open/next_close are the
    first regular open/close strictly after now (so while open, next_open is tomorrow's)."""
    now = _ny(now)
    return ClockState(
        timestamp=now,
        is_open=phase_at(now) is Phase.REGULAR,
        next_open=_first_after(now, "open"),
        next_close=_first_after(now, "close"),
    )


def _next_midnight(now: datetime) -> datetime:
    return _at(now.date() + timedelta(days=1), time(0))


def always_open_clock(now: datetime) -> ClockState:
    """Always open; the 'session' rolls over at New York midnight (next_open == next_close)."""
    now = _ny(now)
    midnight = _next_midnight(now)
    return ClockState(timestamp=now, is_open=True, next_open=midnight, next_close=midnight)


def current_trading_day(now: datetime) -> TradingDay:
    """The trading day `now` belongs to for Day P&L: the last one whose session (04:00) has
    begun, so its after-hours and the night after it still count as that day."""
    now = _ny(now)
    td = trading_day(now.date())
    if td is not None and td.session_open <= now:
        return td
    return previous_trading_day(now.date())


def next_session_open(now: datetime) -> datetime:
    """The next start of a trading day's session (04:00) strictly after now."""
    return _first_after(_ny(now), "session_open")


def next_session_close(now: datetime) -> datetime:
    """The next end of extended hours (20:00, or 17:00 on early-close days) strictly after now;
    extended-hours DAY orders live until then."""
    return _first_after(_ny(now), "session_close")


def next_rollover(now: datetime, mode: str) -> datetime:
    """When unfilled DAY orders next expire: the next regular close ("nyse", as Alpaca does)
    or the next New York midnight ("always-open")."""
    now = _ny(now)
    if mode == "nyse":
        return _first_after(now, "close")
    if mode == "always-open":
        return _next_midnight(now)
    raise ValueError(f"unknown market mode: {mode!r}")
