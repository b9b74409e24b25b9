"""What the History screen (screens/history.py) reads, through the app: one page of
activities, or every fill since a date, each on a worker thread whose answer is posted to
the screen; the positions held now and the server's date from the account state."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Callable, Mapping

from textual.screen import Screen

from ..broker.history import ACTIVITIES_PAGE, ActivityPages
from ..numbers import number
from ..terms import NEW_YORK
from ..broker.activity import fill_of
from ..state.realized import positions_before
from ..state.realized_today import read_lots_before
from .screens.history import ActivitiesRead, ActivityFilter, FillsRead

if TYPE_CHECKING:
    from .app import AlpacaApp


class AppHistoryDesk:
    def __init__(self, app: AlpacaApp) -> None:
        self.app = app

    def page(self, query: ActivityFilter, token: str | None, generation: int, screen: Screen) -> None:
        app = self.app

        def run() -> None:
            from ..broker.errors import describe

            try:
                with app.requests.urgent():  # the user is looking at it
                    page = app.broker.activities(types=list(query.types) or None, after=query.after,
                                                 until=query.until, direction="desc", page_size=ACTIVITIES_PAGE,
                                                 page_token=token)
            except Exception as err:  # the broker's requests have a deadline: this ends
                screen.post_message(ActivitiesRead(generation, [], False, None, str(describe(err).message)))
                return
            screen.post_message(ActivitiesRead(generation, page.activities, page.received >= ACTIVITIES_PAGE,
                                               page.next_page_token, None))

        app.run_worker(run, thread=True, group="history", name="read activities", exit_on_error=False)

    def fills(self, start: date, generation: int, screen: Screen) -> None:
        app = self.app
        after = datetime.combine(start, time(), NEW_YORK) - timedelta(microseconds=1)
        held = self.positions()

        def run() -> None:
            from ..broker.errors import describe

            try:
                with app.requests.urgent():
                    pages = ActivityPages(app.broker, types=["FILL"], after=after, direction="asc")
                    read = [f for f in map(fill_of, pages) if f is not None]
                    # what was held at the start, and its cost: the fills before, newest first
                    starting, _ = read_lots_before(app.broker, after, positions_before(held, read))
            except Exception as err:
                screen.post_message(FillsRead(generation, None, str(describe(err).message)))
                return
            note = "the server kept sending pages: stopped reading (the newest fills may be missing)" \
                if pages.truncated else None
            screen.post_message(FillsRead(generation, read, note, starting))

        app.run_worker(run, thread=True, group="history-fills", name="read fills", exit_on_error=False)

    def positions(self) -> Mapping[str, Decimal]:
        return {str(p.symbol): number(p.qty) or Decimal(0) for p in self.app.state.positions}

    def today(self) -> date:
        return self.app.state.server_now().astimezone(NEW_YORK).date()

    def ask(self, title: str, placeholder: str, check: Callable[[str], str | None],
            then: Callable[[str | None], None]) -> None:
        from .screens.prompt import PromptScreen

        self.app.push_screen(PromptScreen(title, placeholder, check, max_length=200), then)
