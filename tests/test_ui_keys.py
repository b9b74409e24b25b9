"""Navigation, refresh, help, connection view, command palette, quitting."""

from __future__ import annotations

from textual.widgets import DataTable

from tui.ui import keymap
from tui.ui.screens.info import InfoScreen
from tui.ui.widgets.account import AccountPane
from tui.ui.widgets.clock import ClockPane
from tui.ui.widgets.orders import OrdersTable
from tui.ui.widgets.positions import PositionsTable

from .conftest import SECRET
from .ui_support import loaded, make_app, screen_text, until
from tui.ui import compat


async def test_digits_tab_and_vim_keys_move_between_and_within_panes(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        main = app.main
        assert isinstance(app.focused, PositionsTable)
        for key, kind in (("1", AccountPane), ("3", OrdersTable), ("4", ClockPane), ("2", PositionsTable)):
            await pilot.press(key)
            assert isinstance(app.focused, kind), key
        table = main.query_one(PositionsTable)
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("down")
        assert table.cursor_row == 2
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 2  # the last position: the Total row is not selectable
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("tab")
        assert isinstance(app.focused, OrdersTable)
        await pilot.press("shift+tab")
        assert isinstance(app.focused, PositionsTable)


async def test_the_cursor_stays_on_its_row_across_refreshes(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        table = app.main.query_one(PositionsTable)
        await pilot.press("j", "j", "j")  # NVDA
        assert table.selected_symbol == "NVDA"
        sim.set_price("NVDA", "200")
        await pilot.press("r")
        await until(pilot, lambda: "200.00" in screen_text(app))
        assert table.selected_symbol == "NVDA" and table.cursor_row == 3


async def test_r_refreshes_every_pane(make_sim):
    from .ui_support import QUIET

    sim = make_sim(portfolio="sample")
    app = make_app(sim, intervals=QUIET)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        sim.set_price("MSFT", "123.45")
        before = app.requests.last_minute()
        await pilot.press("r")
        await until(pilot, lambda: "123.45" in screen_text(app), what="the new MSFT price")
        assert app.requests.last_minute() >= before + 5


async def test_r_says_refreshing_in_the_status_bar_until_every_answer_is_in(make_sim):
    from .ui_support import QUIET

    sim = make_sim(portfolio="sample")
    app = make_app(sim, intervals=QUIET)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        sim.set_faults(latency_ms=400)
        await pilot.press("r")
        await until(pilot, lambda: "refreshing…" in screen_text(app), what="refreshing in the status bar")
        assert "data <20s" not in screen_text(app) and not compat.shown_notifications(app)
        sim.set_faults(latency_ms=0)
        await until(pilot, lambda: "data <20s" in screen_text(app), timeout=8, what="the data age back")
        assert "refreshing…" not in screen_text(app)


async def test_question_mark_lists_every_key_with_its_id(make_sim):
    sim = make_sim()
    app = make_app(sim, stream=False)
    async with app.run_test(size=(110, 160)) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, InfoScreen))
        text = screen_text(app)
        for _, keys, what, key_id in keymap.help_rows():
            # The help column wraps: its first words stand on the key's own line.
            assert keys in text and " ".join(what.split()[:2]) in text and key_id in text, (keys, what, key_id)
        assert "order ticket to buy" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, InfoScreen)


async def test_connection_view_never_shows_the_keys(make_sim):
    sim = make_sim()
    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, InfoScreen))
        text = screen_text(app)
        assert sim.url in text and "configured" in text and "PAPER" in text and "listening" in text
        assert SECRET not in text and "test-key" not in text


async def test_every_action_is_in_the_command_palette(make_sim):
    sim = make_sim()
    app = make_app(sim, stream=False)
    async with app.run_test(size=(80, 24)) as pilot:
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for title in ("Buy", "Sell", "Close position", "Close all positions", "Cancel order", "Cancel all orders",
                      "Orders: next view (open, closed, all, fills)", "Filter the order history", "Redraw the screen",
                      "Refresh", "Rejections", "Connection", "Help", "Theme", "Quit"):
            assert title in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert "CommandPalette" in type(app.screen).__name__


async def test_a_light_theme_is_available(make_sim):
    sim = make_sim()
    app = make_app(sim, stream=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = "textual-light"
        await pilot.pause()
        assert app.current_theme.dark is False


async def test_q_quits_at_once(make_sim):
    import time

    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        started = time.monotonic()
        await pilot.press("q")
    assert time.monotonic() - started < 2
    assert not app.is_running
    from .conftest import wait_for

    wait_for(lambda: app.stream.state.value == "stopped", timeout=1)  # and the stream let go


async def test_keys_do_nothing_harmful_when_there_is_nothing_to_act_on(make_sim):
    sim = make_sim()
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("x", "X", "c", "C", "3", "c")
        await pilot.pause()
        assert app.screen is app.main
        assert isinstance(app.focused, DataTable)
