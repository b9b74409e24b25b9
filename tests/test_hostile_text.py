"""Hostile text from the server reaches the screen only as plain, printable text.

Server text (error messages, symbols, statuses, stream refusal reasons, order ids) is
shown in toasts, the status bar, the tables, dialogs and the info screens. Markup in it
(`[/]`, `[@click=app.quit]`) must be shown, never parsed (a MarkupError kills the app;
an action link runs on a click); escape sequences and control characters must never reach
the terminal (OSC 0 sets the window title, OSC 52 writes the clipboard, CSI 2J clears the
screen).

The app runs against tests/hostile.py's fake Alpaca, which passes what a test does not
script through to a real simulator, and whose trade_updates websocket sends what the test
pushes. What the terminal would show is read from Textual's compositor: every segment of
text it renders must be free of control characters (Textual's own escape sequences are
made later, by the driver, from styles: an ESC inside a segment's text came from outside).
One test runs the app in a real pseudo-terminal and reads the raw bytes.
test_hostile_text_property.py sends any text through every one of these places.
"""

from __future__ import annotations

import re

from tui.ui import compat
from tui.ui.screens.confirm import ConfirmScreen
from tui.ui.screens.info import InfoScreen
from tui.ui.screens.ticket import TicketScreen
from tui.ui.widgets.orders import OrdersPane
from tui.ui.widgets.positions import PositionsTable
from tui.ui.widgets.statusbar import StatusBar

from .conftest import KEY, SECRET
from .harness.terminal import APP, Terminal, app_env
from .hostile import hostile  # noqa: F401  (the fixture)
from .hostile_screen import (TERMINAL_ATTACK, assert_up_and_clean, buy_one, click_on, fill_update, position,
                             problem_body, ready, refusal, running, shown, start, toast_text)
from .ui_support import screen_text, until


# ---- markup in server text: shown, never parsed ------------------------------------------

async def test_a_403_whose_message_is_markup_is_shown_in_the_toast_status_bar_and_rejections(hostile, make_sim):
    # Old code: MarkupError from the toast ("closing tag '[/]' has nothing to close"): the app died.
    sim, fake, app = start(hostile, make_sim)
    fake.answer("POST", "/v2/orders", status=403, json=problem_body("[/] forbidden"))
    async with running(app) as pilot:
        await ready(pilot)
        await buy_one(pilot)
        await until(pilot, lambda: app.state.rejections, what="the rejection")
        await shown(pilot, "[/] forbidden")
        assert "[/] forbidden" in toast_text(app)
        assert "[/] forbidden (40310000)" in app.main.query_one(StatusBar).line.plain
        assert_up_and_clean(app, "toast")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, InfoScreen), what="rejections screen")
        await shown(pilot, "REJECTED [/] forbidden")
        assert_up_and_clean(app, "rejections screen")


async def test_an_order_id_in_brackets_is_shown_with_its_brackets(hostile, make_sim):
    # Old code: `[abc-123]` read as a markup tag and dropped: "order  not found".
    sim, fake, app = start(hostile, make_sim)
    async with running(app) as pilot:
        await ready(pilot)
        await pilot.press("3")
        pane = app.main.query_one(OrdersPane)
        await until(pilot, lambda: pane.selected_order is not None, what="an order selected")
        order_id = str(pane.selected_order.id)
        fake.answer("DELETE", f"/v2/orders/{order_id}", status=404,
                    json=problem_body("order [abc-123] not found", 40410000))
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="cancel confirmation")
        await pilot.press("y")
        await until(pilot, lambda: app.state.rejections, what="the rejection")
        await shown(pilot, "order [abc-123] not found")
        assert "order  not found" not in screen_text(app)
        assert_up_and_clean(app)
        await pilot.press("e")
        await shown(pilot, "order [abc-123] not found")
        assert_up_and_clean(app, "rejections screen")


async def test_a_click_on_a_toast_runs_no_screenshot_link_from_the_server(hostile, make_sim, tmp_path, monkeypatch):
    # Old code: one click on the toast ran app.screenshot: a file written where the server said.
    monkeypatch.chdir(tmp_path)
    sim, fake, app = start(hostile, make_sim)
    fake.answer("POST", "/v2/orders", status=403,
                json=problem_body("[@click=app.screenshot('p.svg','.')]CLICKME[/]"))
    async with running(app) as pilot:
        await ready(pilot)
        await buy_one(pilot)
        await until(pilot, lambda: "CLICKME" in screen_text(app), what="the toast")
        as_sent = "[@click=app.screenshot('p.svg','.')]CLICKME" in screen_text(app)
        await click_on(pilot, "CLICKME")
        await pilot.pause(0.3)
        assert not list(tmp_path.rglob("*.svg")), "a click on server text wrote a file"
        assert_up_and_clean(app, "after the click")
        assert as_sent, "the message is shown as the server sent it"


async def test_a_click_on_a_toast_runs_no_quit_link_from_the_server(hostile, make_sim):
    # Old code: one click on the toast of a failed refresh ran app.quit.
    sim, fake, app = start(hostile, make_sim)
    async with running(app) as pilot:
        await ready(pilot)
        fake.answer("GET", "/v2/account", status=403, json=problem_body("[@click=app.quit]QUITME[/]"))
        await pilot.press("r")
        await until(pilot, lambda: "QUITME" in screen_text(app), what="the account's toast")
        as_sent = "[@click=app.quit]QUITME" in screen_text(app)
        await click_on(pilot, "QUITME")
        await pilot.pause(0.3)
        assert_up_and_clean(app, "after the click")
        assert as_sent, "the message is shown as the server sent it"


async def test_a_stream_fill_whose_symbol_is_markup_is_announced_as_text(hostile, make_sim):
    # Old code: the "Filled" toast parsed `[/]`: MarkupError, the app died.
    sim, fake, app = start(hostile, make_sim)
    async with running(app) as pilot:
        await ready(pilot)
        fake.push(fill_update("[/]"))
        await until(pilot, lambda: "Filled" in toast_text(app), what="the fill's toast")
        assert "[/]" in toast_text(app)
        await shown(pilot, "[/]")
        assert_up_and_clean(app)


async def test_x_on_a_position_whose_symbol_is_markup_says_it_cannot_be_traded(hostile, make_sim):
    # Old code: the toast naming the symbol parsed `[/]`: MarkupError, the app died.
    sim, fake, app = start(hostile, make_sim)
    fake.answer("GET", "/v2/positions", json=[position("[/]")])
    async with running(app) as pilot:
        await ready(pilot)
        await shown(pilot, "Positions (1)")
        await pilot.press("2", "x")
        await until(pilot, lambda: "cannot trade" in toast_text(app) or "can trade" in toast_text(app),
                    what="the warning")
        assert "[/]" in toast_text(app)
        assert not isinstance(app.screen, ConfirmScreen)  # never offered for trading
        await shown(pilot, "[/] is not a symbol")
        assert_up_and_clean(app)
        assert not fake.paths("DELETE")


async def test_the_connection_screen_shows_a_refusal_reason_that_is_markup(hostile, make_sim):
    # Old code: `i` put the reason into a Rich table cell as a str, parsed as markup: MarkupError.
    sim, fake, app = start(hostile, make_sim)
    fake.auth_reply = refusal("[/] denied")
    async with running(app) as pilot:
        await until(pilot, lambda: app.stream_state == "unauthorized", timeout=15, what="the stream refused")
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, InfoScreen), what="connection screen")
        await shown(pilot, "unauthorized ([/] denied)")
        assert_up_and_clean(app, "connection screen")


async def test_a_bulk_cancel_refused_with_a_code_that_is_not_a_number_leaves_the_app_up(hostile, make_sim):
    # NEEDS APP_PATCH.diff (tui/ui/app.py, _report_bulk): `int(code)` on the server's code
    # raised ValueError for `[/]` inside on_action_done, and the app died. The patch reads
    # the code with tui.numbers-like care (digits only) and cleans the label and message.
    sim, fake, app = start(hostile, make_sim)
    async with running(app) as pilot:
        await ready(pilot)
        refused = [{"id": str(order_id), "status": 500, "body": {"code": "[/]", "message": "[/] \x1b]52;c;eA==\x07no"}}
                   for order_id in list(app.state.orders)[:2]]
        fake.answer("DELETE", "/v2/orders", status=207, json=refused)
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="cancel-all confirmation")
        await pilot.press("y")
        await until(pilot, lambda: len(app.state.rejections) >= 2 or compat.failure(app) is not None, what="two refusals")
        await pilot.pause()
        assert_up_and_clean(app, "bulk cancel refused")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, InfoScreen), what="rejections screen")
        await shown(pilot, "REJECTED [/] no")
        assert_up_and_clean(app, "rejections screen")


# ---- escape sequences and control characters: never sent to the terminal ------------------

async def test_escape_sequences_in_a_symbol_and_a_403_never_reach_the_terminal(hostile, make_sim):
    # Old code: the symbol's OSC 0, OSC 52 and CSI 2J went to the terminal byte for byte,
    # and so did an OSC 52 in a 403's message through its error toast.
    sim, fake, app = start(hostile, make_sim)
    fake.answer("GET", "/v2/positions", json=[position(TERMINAL_ATTACK)])
    async with running(app) as pilot:
        await ready(pilot)
        await shown(pilot, "Positions (1)")
        assert_up_and_clean(app, "positions")
        await shown(pilot, "\\x1b]0;PWNED")  # shown escaped: what was sent, inert
        table = app.main.query_one(PositionsTable)
        assert table.selected_symbol == TERMINAL_ATTACK
        await pilot.press("2", "b")  # the ticket never takes an invalid symbol
        await until(pilot, lambda: isinstance(app.screen, TicketScreen) and app.screen.is_mounted)
        assert app.screen.query_one("#symbol").value == ""
        await pilot.press("escape")
        await pilot.press("x")
        await until(pilot, lambda: "can trade" in toast_text(app), what="the warning")
        assert not isinstance(app.screen, ConfirmScreen)
        assert_up_and_clean(app, "x on the position")
        fake.answer("GET", "/v2/orders", status=403,
                    json=problem_body("no \x1b]52;c;cHduZWQ=\x07 orders \x9b2J\x1bP1$r\x1b\\ here"))
        await pilot.press("r")
        await until(pilot, lambda: "orders  here" in toast_text(app) or "orders here" in toast_text(app),
                    what="the orders' error toast")
        await shown(pilot, "here")
        assert_up_and_clean(app, "error toast")
        assert not fake.paths("POST") and not fake.paths("DELETE")


# ---- the real terminal: the bytes the app writes ----------------------------------------------

# What Textual writes is CSI (cursor, colours, modes, synchronized output) and one OSC, 22,
# the mouse pointer's shape (checked on the harmless screen below); never another OSC
# (0 title, 52 clipboard, 8 hyperlink), DCS/APC/PM/SOS, a screen clear by CSI 2J/3J, RIS,
# BEL outside its OSC 22, C1 controls or a bidi override. None may appear once the
# server is hostile.
TEXTUALS_OWN = re.compile(rb"\x1b\]22;[a-z-]*\x07")
FOREIGN = (b"\x1b]", b"\x1bP", b"\x1b_", b"\x1b^", b"\x1bX", b"\x1b[2J", b"\x1b[3J", b"\x1bc", b"\x07",
           b"\xc2\x9b", b"\xc2\x9d", b"\xc2\x90", b"\xc2\x9e", b"\xc2\x9f", b"\xe2\x80\xae")


def test_in_a_real_terminal_no_escape_sequence_from_the_server_is_written(hostile, make_sim, tmp_path):
    sim = make_sim(portfolio="sample")
    fake = hostile(upstream=sim.url)
    env = app_env(ALPACA_BASE_URL=fake.url, ALPACA_API_KEY=KEY, ALPACA_SECRET_KEY=SECRET,
                  ALPACA_TUI_AUDIT_LOG=str(tmp_path / "audit.jsonl"), HOME=str(tmp_path))
    with Terminal([*APP], env, cwd=tmp_path, columns=120, lines=40) as term:
        term.expect("Positions (6)", "Orders (3)", "stream", timeout=20)
        term.settle()  # the rest of the first paint
        baseline = bytes(term.output)
        # The same app, now with a hostile server: a position whose symbol sets the title,
        # writes the clipboard and clears the screen; a 403 with an OSC 52 in its message.
        fake.answer("GET", "/v2/positions", json=[position(TERMINAL_ATTACK)])
        fake.answer("GET", "/v2/orders", status=403,
                    json=problem_body("no \x1b]52;c;cHduZWQ=\x07 orders \x1b[2J\x9b2J\u202e here"))
        term.send("r")
        term.expect("Positions (1)", "PWNED", "here", timeout=15)
        term.settle()
        hostile_part = bytes(term.output[len(baseline):])
        # pyte applies OSC 0 and 2 as a terminal would (it reads Textual's own OSC 22 as a title too)
        assert "PWNED" not in term.screen.title + term.screen.icon_name, "the server set the window title"
        term.send("q")
        assert term.wait_exit(5) == 0
    baseline, hostile_part = TEXTUALS_OWN.sub(b"", baseline), TEXTUALS_OWN.sub(b"", hostile_part)
    for sequence in FOREIGN:
        assert sequence not in baseline, f"Textual itself writes {sequence!r}: FOREIGN needs another look"
        assert sequence not in hostile_part, f"{sequence!r} from the server reached the terminal"
    assert b"cHduZWQ=" in hostile_part  # the payload is shown, as text
    assert not list(tmp_path.glob("*.svg"))
