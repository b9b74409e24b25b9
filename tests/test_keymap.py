"""One keymap: every binding has an id, help and palette come from it, a user keymap
rebinds by id (the mechanism a configuration file will use)."""

from __future__ import annotations

from tui.ui import compat, keymap
from tui.ui.screens.info import InfoScreen
from tui.ui.screens.ticket import TicketScreen

from .ui_support import make_app, screen_text, until


def test_every_key_has_a_unique_id_and_words_for_help():
    ids = [key.id for _, keys in keymap.SECTIONS for key in keys]
    assert len(ids) == len(set(ids))
    assert all(key.help and key.label and key.keys for key in keymap.ALL.values())


def test_the_apps_bindings_are_the_keymaps():
    from tui.ui.screens.confirm import CloseAllScreen, ConfirmScreen
    from tui.ui.screens.main import MainScreen
    from tui.ui.screens.ticket import ReviewScreen
    from tui.ui.widgets.orders import OrdersPane, OrdersTable
    from tui.ui.widgets.positions import PositionsTable
    from tui.ui.widgets.table import LiveTable
    from tui.ui.widgets.watchlist import WatchlistTable
    from tui.ui.screens.detail import DetailScreen
    from tui.ui.screens.lookup import LookupScreen
    from tui.ui.screens.prompt import PromptScreen
    from tui.ui.screens.order_detail import OrderDetailScreen
    from tui.ui.screens.equity import EquityScreen
    from tui.ui.widgets.account import AccountPane
    from tui.ui.screens.history import HistoryScreen

    from tui.ui.app import AlpacaApp

    bound = {b.id for cls in (AlpacaApp, MainScreen, PositionsTable, OrdersTable, OrdersPane, LiveTable, TicketScreen,
                              ReviewScreen, ConfirmScreen, CloseAllScreen, WatchlistTable, DetailScreen, LookupScreen,
                              PromptScreen, OrderDetailScreen, EquityScreen, AccountPane, HistoryScreen) for b in cls.BINDINGS}
    assert bound == set(keymap.ALL)


def test_a_user_keymap_is_checked_before_it_is_applied():
    usable, problems = keymap.check({"buy": "B", "sell": "b", "nope": "z", "quit": "ctrl q"})
    assert usable == {"buy": "B", "sell": "b"}  # buy moved off b, so sell may have it
    assert any(p.startswith("nope:") for p in problems) and any(p.startswith("quit:") for p in problems)
    assert keymap.check({"sell": "b"}) == ({}, ["sell: 'b' is also buy's key"])


async def test_a_rebound_key_opens_the_ticket_and_the_help_says_so(make_sim):
    sim = make_sim()
    app = make_app(sim, stream=False, keys={"buy": "B", "help": "f1", "bogus": "z"})
    async with app.run_test(size=(110, 70)) as pilot:
        await until(pilot, lambda: any("Key not changed: bogus" in n.message for n in compat.shown_notifications(app)),
                    what="the refused id said")
        await pilot.press("b")  # no longer the buy key
        await pilot.pause()
        assert not isinstance(app.screen, TicketScreen)
        await pilot.press("B")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen), what="B opens the ticket")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, TicketScreen))
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, InfoScreen), what="f1 opens the help")
        lines = screen_text(app).splitlines()
        assert any("order ticket to buy" in line and " B " in f" {line} " for line in lines)


async def test_the_help_shows_a_refused_key_where_it_still_is(make_sim):
    sim = make_sim()
    app = make_app(sim, stream=False, keys={"sell": "b"})  # b is buy's: refused
    async with app.run_test(size=(110, 120)) as pilot:  # the whole help, no scroll bar (it narrows the text)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, InfoScreen), what="the help")
        [line] = [line for line in screen_text(app).splitlines() if "order ticket to sell the" in line]
        assert " s " in f" {line} " and " b " not in f" {line} "
