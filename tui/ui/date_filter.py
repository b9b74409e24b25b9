"""Dates in the filters of the history views (the Orders pane's closed/all, the History
screen): `2026-11-01..2026-11-30`, `2026-11-01..`, `..2026-11-30` or one day, read as whole
New York days. No Textual here."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from ..terms import NEW_YORK

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})?\.\.(\d{4}-\d{2}-\d{2})?")


def parse_dates(word: str) -> tuple[date | None, date | None] | str | None:
    """(start, end) for a date or range word; a message when it is a bad one; None when it
    is no date at all."""
    match = _RANGE.fullmatch(word)
    if not match and not _DAY.fullmatch(word):
        return None
    first, last = (match.group(1), match.group(2)) if match else (word, word)
    try:
        start = date.fromisoformat(first) if first else None
        end = date.fromisoformat(last) if last else None
    except ValueError:
        return f"{word!r} is not a date (YYYY-MM-DD)"
    if start and end and start > end:
        return "the range ends before it starts"
    return start, end


class DateWord:
    """The one date or range among a filter's words, read a word at a time."""

    def __init__(self) -> None:
        self.start: date | None = None
        self.end: date | None = None
        self.dated = False

    def take(self, word: str) -> bool | str:
        """True: `word` was the date; False: it is no date; a message: a bad date, or a
        second one."""
        dates = parse_dates(word)
        if dates is None or isinstance(dates, str):
            return dates if isinstance(dates, str) else False
        if self.dated:
            return "one date or date range at most"
        self.dated, (self.start, self.end) = True, dates
        return True


class NewYorkDays:
    """For a filter with `start` and `end` (New York dates, inclusive, None: open): the
    instants Alpaca's `after` and `until` take, and the range as it was typed."""

    start: date | None
    end: date | None

    @property
    def after(self) -> datetime | None:
        return None if self.start is None else datetime.combine(self.start, time(), NEW_YORK) - timedelta(microseconds=1)

    @property
    def until(self) -> datetime | None:
        return None if self.end is None else datetime.combine(self.end + timedelta(days=1), time(), NEW_YORK)

    def dates(self) -> str:
        if self.start is None and self.end is None:
            return ""
        return f"{self.start.isoformat() if self.start else ''}..{self.end.isoformat() if self.end else ''}"
