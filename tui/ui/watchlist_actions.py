"""The watchlist's actions: show it, find a symbol, add, remove (confirmed), create one.

Each change is one request off the UI thread (MarketFeed.change_watchlist); the pane shows
the watchlist the server answers with, so it always matches Alpaca's dashboard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from ..text import clean, is_symbol
from .screens.confirm import ConfirmScreen
from .screens.lookup import LookupScreen
from .screens.main import NARROW
from .screens.prompt import PromptScreen
from .widgets.positions import PositionsTable
from .widgets.watchlist import WatchlistTable

if TYPE_CHECKING:
    from .app import AlpacaApp

MAX_NAME = 64  # Alpaca's limit on a watchlist's name


def name_problem(name: str, taken: set[str]) -> str | None:
    if not name:
        return "type a name"
    if len(name) > MAX_NAME:
        return f"at most {MAX_NAME} characters"
    if clean(name, one_line=True) != name:
        return "letters, digits, spaces and punctuation only"
    if name in taken:
        return f"there is already a watchlist called {name!r}"
    return None


class WatchlistActions:
    def __init__(self, app: AlpacaApp) -> None:
        self.app = app

    @property
    def pane(self) -> WatchlistTable:
        return self.app.main.query_one(WatchlistTable)

    def prices_changed(self, dirty: set[str]) -> None:
        """Repaint the pane for new prices (the feed calls this at most every RENDER_EVERY)."""
        market = self.app.market
        pane = self.pane
        pane.set_watchlists(market.watchlists, market.current_watchlist)
        if dirty.intersection(pane.symbols) or pane.symbols != pane.shown_symbols or not pane.symbols:
            pane.show(market.book.prices, frozenset(market.plan.polled), market.ages())

    def toggle(self) -> None:
        """`w`: on a narrow screen, the watchlist in place of positions and orders (and
        back); on a wide one, the focus to it (and back)."""
        main = self.app.main
        pane = self.pane
        if main.size.width < NARROW:
            watching = not main.has_class("-watching")
            main.set_class(watching, "-watching")
            (pane if watching else main.query_one(PositionsTable)).focus()
        else:
            main.remove_class("-watching")
            (main.query_one(PositionsTable) if pane.has_focus else pane).focus()

    def find(self, then: Callable[[str], None], title: str = "Find a symbol") -> None:
        self.app.push_screen(LookupScreen(self.app.desk, title), lambda symbol: then(symbol) if symbol else None)

    def add(self, symbol: str) -> None:
        market = self.app.market
        current = market.current
        if not is_symbol(symbol):
            self.app.notify(f"not a symbol: {clean(symbol, one_line=True)!r}", severity="warning")
            return
        if current is None:  # no watchlist yet: make one with it
            market.change_watchlist(f"create a watchlist with {symbol}",
                                    lambda broker: broker.create_watchlist("Watchlist", [symbol]))
            return
        if symbol in current.symbols:
            self.app.notify(f"{symbol} is already in {clean(current.name, one_line=True)}")
            return
        market.change_watchlist(f"add {symbol}", lambda broker: broker.add_to_watchlist(current.id, symbol))

    def remove(self) -> None:
        market = self.app.market
        current = market.current
        symbol = self.pane.selected_symbol
        if current is None or not symbol:
            return
        name = clean(current.name, one_line=True)

        def confirmed(yes: bool | None) -> None:
            if yes:
                market.change_watchlist(f"remove {symbol}",
                                        lambda broker: broker.remove_from_watchlist(current.id, symbol))

        self.app.push_screen(ConfirmScreen(f"Remove {symbol} from {name}?",
                                           [f"{symbol} leaves the watchlist {name} (also on Alpaca's apps)."],
                                           yes="Remove"), confirmed)

    def create(self) -> None:
        market = self.app.market
        taken = {w.name for w in market.watchlists}

        def named(name: str | None) -> None:
            if name:
                market.change_watchlist(f"create {name}", lambda broker: broker.create_watchlist(name, []))

        self.app.push_screen(PromptScreen("New watchlist", "its name", lambda text: name_problem(text, taken),
                                          MAX_NAME), named)
