"""Which trading session is on now, when it ends and what comes next.

From the server's time and Alpaca's trading calendar (GET /v2/calendar: the days the market
trades, each with its regular open and close, e.g. 09:30 and 16:00, or 13:00 on an early
close), the session is one of:

* `pre-market`   04:00 ET to the regular open
* `regular`      the regular open to the close
* `after-hours`  the close to 20:00 ET; four hours after an early close (13:00 -> 17:00)
* `closed`       any other time: nights, weekends, holidays

Pure logic: no clock is read here (the caller passes the server's time), no network, no Textual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable
from tui.terms import NEW_YORK

from tui.numbers import moment

NY = NEW_YORK  # the exchange's clock

PRE_MARKET = "pre-market"
REGULAR = "regular"
AFTER_HOURS = "after-hours"
CLOSED = "closed"
TRADING = (PRE_MARKET, REGULAR, AFTER_HOURS)  # sessions an extended-hours order trades in

PRE_MARKET_START = time(4, 0)
AFTER_HOURS_LENGTH = timedelta(hours=4)  # 16:00 -> 20:00, and 13:00 -> 17:00 on early closes
FAR = timedelta(days=6)  # beyond this a weekday alone is ambiguous: show the date too

CLOCK_TEXT = re.compile(r"(\d{1,2}):?(\d{2})")  # "09:30" (open/close) and "0400" (session_open)


@dataclass(frozen=True)
class TradingDay:
    """One day of the calendar; every datetime is aware."""

    date: date
    open: datetime
    close: datetime
    session_open: datetime | None = None  # Alpaca's session_open ("0400"); None: 04:00 ET
    session_close: datetime | None = None  # Alpaca's session_close ("2000"); None: close + 4 h

    @property
    def pre_market_start(self) -> datetime:
        start = self.session_open or datetime.combine(self.date, PRE_MARKET_START, tzinfo=NY)
        return min(start, self.open)  # a start after the open would mean no pre-market at all

    @property
    def after_hours_end(self) -> datetime:
        # After-hours last four hours from the close, even where a calendar says 20:00 on an
        # early-close day (13:00 -> 17:00).
        end = self.close + AFTER_HOURS_LENGTH
        if self.session_close is not None:
            end = min(end, self.session_close)
        return max(end, self.close)

    def windows(self) -> list[tuple[datetime, datetime, str]]:
        """(start, end, name) of this day's sessions, in order; empty ones left out."""
        parts = [(self.pre_market_start, self.open, PRE_MARKET), (self.open, self.close, REGULAR),
                 (self.close, self.after_hours_end, AFTER_HOURS)]
        return [part for part in parts if part[0] < part[1]]


@dataclass(frozen=True)
class Session:
    """The session at a moment: `name` until `ends_at`, then `next_name` from `next_at`.

    `next_name` is the next session an order can trade in (never `closed`): after
    after-hours comes the next day's pre-market. `next_open` is the first regular open
    after the moment, like Alpaca's clock. A None time: beyond the calendar given."""

    name: str
    ends_at: datetime | None
    next_name: str | None
    next_at: datetime | None
    next_open: datetime | None = None

    @property
    def is_open(self) -> bool:
        """Regular hours, as Alpaca's clock means `is_open`."""
        return self.name == REGULAR

    @property
    def trading(self) -> bool:
        """Some session is on: an extended-hours limit order can trade now."""
        return self.name in TRADING


# ---- reading Alpaca's calendar --------------------------------------------------------------


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _at(day: date, value: Any) -> datetime | None:
    """A time of `day` in New York: "09:30", "0400", a time, or a datetime (naive ones are
    New York wall-clock time, as alpaca-py's Calendar gives them)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return moment(value.replace(tzinfo=NY))
        return moment(value)
    if isinstance(value, str):
        match = CLOCK_TEXT.fullmatch(value.strip())
        if not match:
            return None
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            return None
        value = time(hour, minute)
    if isinstance(value, time):
        # combine() with the zone gives that date's own offset, across DST changes.
        return moment(datetime.combine(day, value.replace(tzinfo=None), tzinfo=NY))
    return None


def calendar_day(day: Any, open: Any, close: Any, session_open: Any = None,
                 session_close: Any = None) -> TradingDay | None:
    """A TradingDay from one calendar entry's fields, or None when they do not read as one."""
    when = _day(day)
    if when is None:
        return None
    opens, closes = _at(when, open), _at(when, close)
    if opens is None or closes is None or not opens < closes:
        return None
    pre = _at(when, session_open) if session_open is not None else None
    post = _at(when, session_close) if session_close is not None else None
    return TradingDay(when, opens, closes, pre, post)


def read_calendar(entries: Iterable[Any]) -> list[TradingDay]:
    """TradingDays from GET /v2/calendar: alpaca-py Calendar models or the JSON dicts.
    Entries that do not read are left out; the result is in date order."""
    days: dict[date, TradingDay] = {}
    for entry in entries:
        get = entry.get if isinstance(entry, dict) else lambda name, e=entry: getattr(e, name, None)
        day = calendar_day(get("date"), get("open"), get("close"), get("session_open"), get("session_close"))
        if day is not None:
            days[day.date] = day
    return [days[d] for d in sorted(days)]


# ---- the session now ------------------------------------------------------------------------


def session_at(now: datetime, calendar: Iterable[TradingDay]) -> Session | None:
    """The session at `now` (the server's time). None when the calendar does not reach
    `now`'s New York date (it lists trading days only, so a later date may trade or not)."""
    now = moment(now)  # naive times are UTC, like the server's
    days = sorted((d for d in calendar if isinstance(d, TradingDay)), key=lambda d: d.date)
    if now is None or not days or now.astimezone(NY).date() > days[-1].date:
        return None
    windows = [w for d in days for w in d.windows()]
    next_open = next((d.open for d in days if d.open > now), None)
    for index, (start, end, name) in enumerate(windows):
        if start <= now < end:
            following = windows[index + 1] if index + 1 < len(windows) else None
            if following is None:
                return Session(name, end, None, None, next_open)
            return Session(name, end, following[2], following[0], next_open)
        if now < start:  # between sessions: closed until this one starts
            return Session(CLOSED, start, name, start, next_open)
    return Session(CLOSED, None, None, None, next_open)


# ---- words ----------------------------------------------------------------------------------


def when(at: datetime, now: datetime | None = None) -> str:
    """A moment in New York time, as short as is clear: "09:30 ET" today, "Mon 09:30 ET"
    within the week, "Mon Jan 05 09:30 ET" beyond (and the weekday whenever `now` is unknown)."""
    taken = moment(at)  # a time no calendar holds (year 1, naive) is shown as unknown, never raises
    if taken is None:
        return "—"
    local = taken.astimezone(NY)
    current = moment(now)
    if current is not None:
        today = current.astimezone(NY)
        if local.date() == today.date():
            return local.strftime("%H:%M ET")
        if abs(local - today) > FAR:
            return local.strftime("%a %b %d %H:%M ET")
    return local.strftime("%a %H:%M ET")


def describe(session: Session, now: datetime | None = None) -> str:
    """One line for the clock pane or the review: "after-hours until 20:00 ET · next pre-market Mon 04:00 ET"."""
    text = session.name
    if session.ends_at is not None and session.name != CLOSED:
        text += f" until {when(session.ends_at, now)}"
    if session.next_name is not None and session.next_at is not None:
        text += f" · next {session.next_name} {when(session.next_at, now)}"
    return text


def is_open_at(clock: Any, now: datetime) -> bool:
    """Regular hours by the server's last clock read, unless its close has passed since."""
    return bool(clock.is_open) and now < clock.next_close
