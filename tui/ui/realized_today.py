"""The Account pane's "Realized" figure: today's realized P&L, FIFO, kept current.

The lots behind the day's opening positions are read once a day on a worker thread
(tui.state.realized_today); after that each fill, from the stream or a refresh, moves the
figure with no request. A positions read that no longer agrees with the lots read (a fill
the app never saw, a transfer) has them read again, at most once a minute.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import TYPE_CHECKING

from ..numbers import number
from ..state.realized_today import DayLots, read_day_lots, still_holds
from .widgets.account import AccountPane, realized_figure

if TYPE_CHECKING:
    from ..state.account import AccountState
    from .app import AlpacaApp

REREAD_AFTER = 60.0  # seconds: the least time between two reads the positions asked for


class RealizedToday:
    def __init__(self, app: AlpacaApp, state: AccountState) -> None:
        self.app, self.state = app, state
        self.lots: DayLots | None = None
        self.reading = False
        self.read_at = float("-inf")
        self.problem = ""

    def fills_changed(self) -> None:
        """UI thread: the fills changed (a refresh, or the stream)."""
        if self.lots is None or self.lots.day != self.state.today():
            self._read()
        self._show()

    def positions_changed(self) -> None:
        """UI thread: positions were read; if the day's start they imply moved, read again."""
        if self.lots is None or self.reading or time.monotonic() - self.read_at < REREAD_AFTER:
            return
        if not still_holds(self.lots, self._held(), self.state.fills, self.state.today()):
            self._read()

    def _held(self) -> dict[str, Decimal]:
        return {str(p.symbol): number(p.qty) or Decimal(0) for p in self.state.positions}

    def _read(self) -> None:
        if self.reading:
            return
        self.reading, self.read_at = True, time.monotonic()
        day, held, fills = self.state.today(), self._held(), self.state.fills

        def run() -> None:
            from ..broker.errors import describe

            try:
                lots, problem = read_day_lots(self.app.broker, day, held, fills), ""  # made off the UI thread
            except Exception as err:  # shown as "—" until the next try (the next fills read)
                lots, problem = None, str(describe(err))
            try:
                self.app.call_from_thread(self._read_done, lots, problem)
            except Exception:  # the app is closing
                pass

        self.app.run_worker(run, thread=True, group="realized-today", name="read the lots held at the open",
                            exit_on_error=False)

    def _read_done(self, lots: DayLots | None, problem: str) -> None:
        self.reading, self.problem = False, problem
        if lots is not None:
            self.lots = lots
        self._show()

    def _show(self) -> None:
        pane = self.app.main.query_one(AccountPane)
        lots = self.lots
        if lots is None or lots.day != self.state.today():
            pane.show_realized(("Realized", "—", "dim") if self.problem and not self.reading else realized_figure(None))
            return
        totals = lots.realized(self.state.fills)
        pane.show_realized(realized_figure(totals.realized, totals.complete))
