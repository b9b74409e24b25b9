"""Keys typed in one burst do what the same keys typed slowly do.

Over SSH keystrokes arrive bunched: the terminal hands the app many keys in one read. The
app must handle them in the order typed, one at a time, so a form whose fields appear and
disappear (Limit after Type) ends the same either way. Bursts here go through the driver
at once, as the terminal's reader delivers them; test_burst_in_a_real_terminal does it
through a real pseudo-terminal with one write.
"""

from __future__ import annotations

import os
import random
import sys
import time
import unicodedata
from pathlib import Path

from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

from tui.ui.screens.ticket import ReviewScreen, TicketScreen
from tui.ui.widgets.orders import OrdersPane

from .test_run_modes import Terminal
from .ui_support import loaded, make_app, screen_text, until
from tui.ui import compat

ROOT = Path(__file__).resolve().parent.parent


def key_event(key: str) -> events.Key:
    """The event Textual's driver makes for `key` (as Pilot.press does)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        character = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        character = key if len(key) == 1 else None
    return events.Key(key, character)


def burst(app, keys: list[str]) -> int:
    """Every key handed to the app at once, as one read from the terminal delivers them.
    Returns how many keys the app will have received once it has them all."""
    expected = app.key_queue.received + len(keys)
    for key in keys:
        event = key_event(key)
        event.set_sender(app)
        compat.feed_terminal(app, event)
    return expected


async def settled(pilot, count: int, seconds: float = 0.1) -> None:
    """Until the app has taken `count` keys more than it had when the burst was sent
    (burst() returns the count before) and finished with all of them."""
    app = pilot.app
    await until(pilot, lambda: app.key_queue.received >= count and app.key_queue.pending == 0, what="every key handled")
    await pilot.pause(seconds)


async def test_a_limit_order_typed_in_one_burst_is_a_limit_order(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        # b, MSFT, Tab, 5, Tab Tab Tab (to Type), Right (market -> limit), Tab (to Limit), 480, Enter
        burst(app, ["b", *"MSFT", "tab", "5", "tab", "tab", "tab", "right", "tab", "4", "8", "0", "enter"])
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen), what="the review")
        review = app.screen
        assert review.plan.order_type == "limit" and str(review.plan.limit_price) == "480"
        assert review.plan.symbol == "MSFT" and str(review.plan.qty) == "5"
        await until(pilot, lambda: "Limit price" in screen_text(app), what="the review drawn")
        text = screen_text(app)
        assert "limit" in text and "$480.00" in text


async def test_3f_in_one_burst_shows_the_fills(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await settled(pilot, burst(app, ["3", "f"]))
        pane = app.main.query_one(OrdersPane)
        assert pane.showing_fills and pane.has_focus_within
        assert "Recent fills" in screen_text(app)


FIELD_TABS = {"symbol": 0, "qty": 1, "notional": 2, "side": 3, "order_type": 4}


def edit_script(rng: random.Random) -> list[str]:
    """A random ticket edit from the Symbol field: a symbol, a quantity, maybe a type change
    (which shows or hides price fields), prices for what the type shows, maybe TIF and side."""
    keys = list(rng.choice(["MSFT", "INTC", "F", "AAPL"]))
    keys += ["tab", *str(rng.randint(1, 40))]
    keys += ["tab", "tab"]  # over "or $" to Side
    if rng.random() < 0.3:
        keys.append("right")  # buy -> sell
    keys.append("tab")  # Type
    steps = rng.randint(0, 4)  # market, limit, stop, stop_limit, trailing_stop
    keys += ["right"] * steps
    shown = [(), ("limit",), ("stop",), ("stop", "limit"), ("trail",)][steps]
    for _field in shown:
        keys.append("tab")
        keys += list(f"{rng.randint(1, 900)}.{rng.randint(0, 99):02d}")
    keys.append("tab")  # TIF
    keys += ["right"] * rng.randint(0, 2)
    if rng.random() < 0.3:
        keys += ["shift+tab"] * (len(shown) + 1)  # back to Type and change it again
        keys += ["right"] * rng.randint(1, 3)
    return keys


async def test_random_ticket_edits_typed_slowly_or_in_one_burst_give_the_same_form(make_sim):
    """Property: for random edit scripts (seeded), the form after a burst equals the form
    after typing the same keys one by one."""
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    rng = random.Random(20261205)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        for example in range(12):
            keys = edit_script(rng)
            forms = []
            for how in ("slow", "burst"):
                await pilot.press("b")
                await until(pilot, lambda: isinstance(app.screen, TicketScreen) and app.screen.is_mounted
                            and app.focused is app.screen.query_one("#symbol"), what="a fresh ticket")
                ticket = app.screen
                if how == "slow":
                    await pilot.press(*keys)
                    await settled(pilot, app.key_queue.received)
                else:
                    await settled(pilot, burst(app, keys))
                forms.append((ticket.form(), app.focused.id if app.focused else None))
                await pilot.press("escape")
                await until(pilot, lambda: not isinstance(app.screen, TicketScreen), what="ticket closed")
            assert forms[0] == forms[1], f"example {example}: {keys}\nslow:  {forms[0]}\nburst: {forms[1]}"


def test_burst_in_a_real_terminal_equals_slow_typing(tmp_path):
    """The demo in a pseudo-terminal: the limit order typed with one write reviews as the
    same keys written one at a time do."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALPACA_")}
    env.update(PYTHONPATH=str(ROOT), TERM="xterm-256color", ALPACA_TUI_AUDIT_LOG=str(tmp_path / "audit.jsonl"))
    keys = ["b", *"MSFT", "\t", "5", "\t", "\t", "\t", "\x1b[C", "\t", "4", "8", "0", "\r"]
    seen = {}
    for how in ("slow", "burst"):
        terminal = Terminal(["--demo"], env, tmp_path, size=(40, 120))
        try:
            terminal.read_until(b"Positions (6)", b"Orders (3)", timeout=30)
            time.sleep(0.5)
            mark = len(terminal.output)
            if how == "burst":
                terminal.type("".join(keys))
            else:
                for key in keys:
                    terminal.type(key)
                    time.sleep(0.15)
            terminal.read_until(b"Review order", timeout=15)
            time.sleep(1.0)
            try:
                terminal.read_until(b"\x00never", timeout=0.5)
            except AssertionError:
                pass
            after = terminal.output[mark:]
            seen[how] = (b"limit" in after, b"$480.00" in after, b"market" in after.split(b"Review order", 1)[1])
        finally:
            terminal.kill()
    assert seen["slow"] == (True, True, False), seen
    assert seen["burst"] == seen["slow"], seen
