"""Today's realized P&L for the Account pane, FIFO like the History screen's.

Today's closes need the cost of the lots they close, which may have been opened long ago.
Once a day (and again if the day's start looks different) a worker reads the fills before
today, newest first, only as far back as the lots behind the positions held at the open
(the positions now less today's fills)
(tui.state.realized.lots_held: with FIFO they are the newest openings); the figure is then
worked out from those lots and today's fills whenever a fill comes, with no request.

No Textual here; `read_day_lots` does I/O through the broker and runs on a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Iterable, Iterator, Mapping

from ..broker.activity import FillRow, fill_of
from ..terms import NEW_YORK
from .realized import Lot, Totals, lots_held, positions_before, realize

MAX_PAGES = 20  # 2,000 fills back: beyond that, what is still unaccounted for counts as unmatched


@dataclass(frozen=True)
class DayLots:
    """The lots held at the start of `day`, as far as the fills read could tell."""

    day: date
    start: Mapping[str, Decimal]  # the positions at the day's start they account for
    lots: tuple[Lot, ...] = ()
    missing: Mapping[str, Decimal] = field(default_factory=dict)  # quantity with no fill found

    def realized(self, fills: Iterable[FillRow]) -> Totals:
        """Today's totals from today's fills (any others are skipped)."""
        today = [f for f in fills if f.day == self.day]
        return realize(today, self.lots).on(self.day)


def positions_at_start(positions: Mapping[str, Decimal], fills: Iterable[FillRow], day: date) -> dict[str, Decimal]:
    """Each symbol's signed position when `day` began: now minus what `day`'s fills did."""
    return positions_before(positions, [fill for fill in fills if fill.day == day])


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(), NEW_YORK)


def read_day_lots(broker: Any, day: date, positions: Mapping[str, Decimal], fills: Iterable[FillRow]) -> DayLots:
    """On a worker: the lots behind the positions at `day`'s start (positions and fills:
    the app's, now). Usually one request."""
    start = positions_at_start(positions, fills, day)
    if not start:
        return DayLots(day, start)
    lots, missing = read_lots_before(broker, start_of(day), start)
    return DayLots(day, start, tuple(lots), missing)


def read_lots_before(broker: Any, moment: datetime, held: Mapping[str, Decimal]) -> tuple[list[Lot], dict[str, Decimal]]:
    """The FIFO lots behind the positions `held` at `moment`, from the fills before it read
    newest first, as far back as they go (at most MAX_PAGES pages): (lots, what the fills
    read could not account for — lots of unknown cost, among the lots)."""
    from ..broker.history import ActivityPages

    if not held:
        return [], {}
    pages = ActivityPages(broker, types=["FILL"], until=moment, direction="desc", max_pages=MAX_PAGES)
    return lots_held(held, _fills(pages))


def _fills(activities: Iterable[Any]) -> Iterator[FillRow]:
    for activity in activities:
        fill = fill_of(activity)
        if fill is not None:
            yield fill


def still_holds(day_lots: DayLots | None, positions: Mapping[str, Decimal], fills: Iterable[FillRow],
                day: date) -> bool:
    """Whether the lots read still describe today's start: same day, same positions then
    (a fill the app had not seen, or a transfer, would change them: read again)."""
    return day_lots is not None and day_lots.day == day and \
        dict(day_lots.start) == positions_at_start(positions, fills, day)
