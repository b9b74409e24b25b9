"""Keys typed in one burst do what the same keys typed slowly do.

Over SSH keystrokes arrive bunched: the terminal hands the app many keys in one read. The
app must handle them in the order typed, one at a time, so a form whose fields appear and
disappear (Limit after Type) ends the same either way. Bursts here go through the driver
at once, as the terminal's reader delivers them; test_burst_in_a_real_terminal does it
through a real pseudo-terminal with one write.
"""

from __future__ import annotations

import random
import re

import pytest

from tui.ui.screens.ticket import ReviewScreen, TicketScreen
from tui.ui.widgets.orders import OrdersPane

from .harness import profiles
from .harness.profiles import THOROUGH
from .harness.terminal import APP, Terminal, app_env
from .ui_support import burst, loaded, make_app, screen_text, settled, typed_slowly, until


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


async def test_3fff_in_one_burst_shows_the_fills(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await settled(pilot, burst(app, ["3", "f", "f", "f"]))  # closed, all, then the fills
        pane = app.main.query_one(OrdersPane)
        assert pane.showing_fills and pane.has_focus_within
        assert "Recent fills" in screen_text(app)


FIELD_TABS = {"symbol": 0, "qty": 1, "notional": 2, "side": 3, "order_type": 4}


TYPES = ("market", "limit", "stop", "stop_limit", "trailing_stop")
PRICE_FIELDS = [(), ("limit",), ("stop",), ("stop", "limit"), ("trail",)]  # what each type shows


def edit_script(rng: random.Random, steps: int | None = None, again: bool | None = None) -> list[str]:
    """A random ticket edit from the Symbol field: a symbol, a quantity, maybe the side, a
    type `steps` Rights from market (which shows its price fields), prices for them, the
    TIF, and with `again` back to Type over those fields to change it again (fields shown
    and hidden while keys are still coming). Unset: drawn too."""
    keys = list(rng.choice(["F", "KO", "AMD", "INTC"]))  # short: every key costs the app a frame
    keys += ["tab", *str(rng.randint(1, 9))]
    keys += ["tab", "tab"]  # over "or $" to Side
    if rng.random() < 0.3:
        keys.append("right")  # buy -> sell
    keys.append("tab")  # Type
    steps = rng.randint(0, 4) if steps is None else steps
    keys += ["right"] * steps
    shown = PRICE_FIELDS[steps]
    for _field in shown:
        keys.append("tab")
        keys += list(f"{rng.randint(1, 99)}.{rng.randint(1, 9)}")  # short: every key costs the app a frame
    keys.append("tab")  # TIF
    keys += ["right"] * rng.randint(0, 2)
    if (rng.random() < 0.3) if again is None else again:
        keys += ["shift+tab"] * (len(shown) + 1)  # back to Type and change it again
        keys += ["right"] * rng.randint(1, 3)
    return keys


async def open_ticket(pilot):
    app = pilot.app
    await typed_slowly(pilot, ["b"])
    await until(pilot, lambda: isinstance(app.screen, TicketScreen) and app.screen.is_mounted
                and app.focused is app.screen.query_one("#symbol"), what="a fresh ticket")
    return app.screen


# By default the types whose price fields differ in number (one, two, a trail): market
# shows none until the type changes again, stop is laid out as limit is; thorough: all five.
CHECKED_TYPES = TYPES if THOROUGH else ("limit", "stop_limit", "trailing_stop")


@pytest.mark.parametrize("order_type", CHECKED_TYPES)
async def test_random_ticket_edits_typed_slowly_or_in_one_burst_give_the_same_form(make_sim, order_type):
    """Property: for random edit scripts (seeded) that set this order type, the form after
    a burst equals the form after typing the same keys one by one. By default one edit
    that also changes the type again at the end (fields appear and disappear mid-burst:
    the bug this was written for); thorough: 12 edits, seeded anew each run."""
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    rng = random.Random(seed := profiles.seed(20261205 + TYPES.index(order_type)))
    steps = TYPES.index(order_type)
    scripts = ([edit_script(rng, steps) for _ in range(12)] if THOROUGH else [edit_script(rng, steps, again=True)])
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        for example, keys in enumerate(scripts):
            forms = []
            for how in ("slow", "burst"):
                ticket = await open_ticket(pilot)
                if how == "slow":
                    await typed_slowly(pilot, keys)
                else:
                    await settled(pilot, burst(app, keys), seconds=0)
                forms.append((ticket.form(), app.focused.id if app.focused else None))
                await typed_slowly(pilot, ["escape"])
                await until(pilot, lambda: not isinstance(app.screen, TicketScreen), what="ticket closed")
            assert forms[0] == forms[1], (f"example {example} (seed {seed}): {keys}\n"
                                          f"slow:  {forms[0]}\nburst: {forms[1]}")
            assert forms[0][0].symbol == "".join(keys[:keys.index("tab")]), "the keys did not reach the form"


REVIEW_ROW = re.compile(r"(Symbol|Side|Quantity|Type|Limit price|Time in force) +(\S+)")


def review_rows(term: Terminal) -> dict[str, str]:
    """The review dialog's rows as the terminal shows them: label -> value (read between
    the dialog's borders, not from the tables behind it)."""
    inside = [line.split("█")[1] for line in term.text().splitlines() if line.count("█") >= 2]
    return {label: value for line in inside for label, value in REVIEW_ROW.findall(line)}


def test_burst_in_a_real_terminal_equals_slow_typing(tmp_path):
    """The demo in a pseudo-terminal: the limit order typed with one write reviews as the
    same keys written one at a time do (each written once the app has drawn the last)."""
    env = app_env(ALPACA_TUI_AUDIT_LOG=str(tmp_path / "audit.jsonl"))
    keys = ["b", *"MSFT", "\t", "5", "\t", "\t", "\t", "\x1b[C", "\t", "4", "8", "0", "\r"]
    seen = {}
    with Terminal([*APP, "--demo"], env, cwd=tmp_path, columns=120, lines=40) as term:
        term.expect("Positions (6)", "Orders (3)", timeout=30)
        for how in ("slow", "burst"):
            if how == "burst":
                term.send("".join(keys))
            else:
                for key in keys:
                    term.send(key)
                    term.settle(quiet=0.03, timeout=0.3)  # the app has drawn what the key did
            # Checked: the order y would send is drawn whole (its rows and "y send" together).
            term.expect("Review order", "y send", timeout=15)
            seen[how] = review_rows(term)
            term.send("n")  # back to the ticket, sending nothing
            term.expect("Enter review", timeout=5)
            term.send("\x1b")  # and the ticket closed: the next run starts from the main screen
            assert term.wait_for(lambda text: "Enter review" not in text, timeout=5) is not None, term.text()
        term.send("q")
        assert term.wait_exit(5) == 0
    assert seen["slow"] == {"Symbol": "MSFT", "Side": "BUY", "Quantity": "5", "Type": "limit",
                            "Limit price": "$480.00", "Time in force": "DAY"}, seen
    assert seen["burst"] == seen["slow"], seen


def test_escape_then_a_key_in_one_write_is_two_keys_in_a_real_terminal(tmp_path):
    """A terminal sends Alt+3 as ESC 3, so Textual alone reads Esc then 3 written together
    as one key (`£`), Esc then b as Ctrl+Left, Esc then q as Alt+Q. The app reads them as
    typed apart: Esc closes what is open, then the key acts."""
    from tui.ui.terminal_driver import EscapesApart

    def escapes_apart(data: str) -> str:  # `data` as one whole read
        reader = EscapesApart()
        return reader.feed(data) + ("\x1b" if reader.held else "")

    assert escapes_apart("\x1b3\x1bb\x1bq\x1b\x1b") == "\x1b[27u3\x1b[27ub\x1b[27uq\x1b[27u\x1b"
    assert escapes_apart("\x1b[A\x1bOP\x1b]11;?\x1b\\\x1b") == "\x1b[A\x1bOP\x1b]11;?\x1b\\\x1b"  # sequences kept
    assert escapes_apart("\x1b\x7f") == "\x1b\x7f"  # Alt+Backspace: delete a word in a field
    env = app_env(ALPACA_TUI_AUDIT_LOG=str(tmp_path / "audit.jsonl"))
    with Terminal([*APP, "--demo"], env, cwd=tmp_path, columns=100, lines=30) as term:
        term.expect("Positions (6)", "Orders (3)", timeout=30)
        for how in ("slow", "burst"):
            keys = ["?", "\x1b", "3", "f"]  # help, closed; Orders, next view
            if how == "burst":
                term.send("".join(keys))
            else:
                for key in keys:
                    term.send(key)
                    term.settle(quiet=0.05, timeout=0.5)
            term.expect("Orders (3) · closed", timeout=10)
            assert term.wait_for(lambda text: "Help" not in text.splitlines()[1], timeout=5) is not None
            term.send("f" * 3)  # back to the open orders
            term.expect("f: closed orders", timeout=10)
            keys = ["b", "\x1b", "b"]  # a ticket, closed, a ticket again
            if how == "burst":
                term.send("".join(keys))
            else:
                for key in keys:
                    term.send(key)
                    term.settle(quiet=0.05, timeout=0.5)
            term.expect("BUY order", "Enter review", timeout=10)
            term.send("\x1b")
            assert term.wait_for(lambda text: "Enter review" not in text, timeout=5) is not None, (how, term.text())
        term.send("q")
        assert term.wait_exit(5) == 0


def test_an_escape_ending_a_read_waits_for_the_next_one_to_say_what_it_was():
    from tui.ui.terminal_driver import ESCAPE_KEY, EscapesApart

    reader = EscapesApart()
    assert reader.feed("?\x1b") == "?" and reader.held  # Esc, or the start of a sequence?
    assert reader.feed("3f") == f"{ESCAPE_KEY}3f"  # a key: it was Esc
    assert reader.feed("\x1b") == "" and reader.feed("[A") == "\x1b[A"  # a sequence split over two reads
    assert reader.feed("\x1b") == "" and reader.idle() == ESCAPE_KEY and reader.idle() == ""  # nothing came
    assert reader.feed("\x1b\x1b") == ESCAPE_KEY and reader.idle() == ESCAPE_KEY  # two Escs
    assert reader.feed("plain text") == "plain text"
