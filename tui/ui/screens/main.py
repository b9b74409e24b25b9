"""The main screen: the four panes, the status bar and the footer.

Its action keys are priority bindings so they act in the order typed: a key typed right
after `X` or `b` (a fast typist, a script over SSH) reaches the dialog that key opened,
instead of the table that had the focus when both keys arrived.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from textual.app import ComposeResult
from .. import keymap
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from ...config import Config
from ..widgets.account import AccountPane
from ..widgets.clock import ClockPane
from ..widgets.orders import OrdersPane
from ..widgets.positions import PositionsTable
from ..widgets.statusbar import StatusBar
from ..widgets.topbar import TopBar
from ..widgets.watchlist import WatchlistTable

NARROW = 110  # columns: below this the watchlist is shown instead of positions and orders (w)


class MainScreen(Screen):
    BINDINGS = keymap.bindings(keymap.MAIN)

    def __init__(self, config: Config, now: Callable[[], datetime]) -> None:
        super().__init__(id="main")
        self.config = config
        self.now = now

    def compose(self) -> ComposeResult:
        yield TopBar(self.config, id="topbar")
        with Horizontal(id="top-row"):
            yield AccountPane(id="account")
            yield ClockPane(self.now, id="clock")
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                yield PositionsTable(id="positions")
                yield OrdersPane(id="orders")
            yield WatchlistTable(id="watchlist")
        with Vertical(id="bottom"):
            yield StatusBar(id="status")
            yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(PositionsTable).focus()

    def on_resize(self) -> None:
        # Narrow: the watchlist takes the place of positions and orders when asked for (w).
        self.set_class(self.size.width < NARROW, "-narrow")
