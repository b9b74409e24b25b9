"""Closing positions and cancelling orders: each confirmation confirmed and cancelled."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import Button, Input

from tui.ui.screens.confirm import CloseAllScreen, ClosePositionScreen, ConfirmScreen

from .harness import profiles
from .harness.profiles import examples
from .ui_support import loaded, make_app, screen_text, typed_slowly, until


def positions(sim) -> dict[str, str]:
    return {p.symbol: p.qty for p in sim.client.get_all_positions()}


def open_orders(sim) -> int:
    return len(sim.client.get_orders())


async def start(pilot):
    await loaded(pilot)


async def test_x_closes_the_selected_position_when_all_is_typed(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await pilot.press("x")  # AAPL is selected
        await until(pilot, lambda: isinstance(app.screen, ClosePositionScreen))
        assert "Close AAPL?" in screen_text(app)
        await pilot.press("y")  # on an empty field: asks what to close, sends nothing
        await until(pilot, lambda: "percentage like 25%" in screen_text(app), what="the dialog says what to type")
        assert isinstance(app.screen, ClosePositionScreen) and positions(sim)["AAPL"] == "50"
        await pilot.press(*"all", "enter")
        await until(pilot, lambda: "Positions (5)" in screen_text(app), what="AAPL closed")
        assert "AAPL" not in positions(sim)


async def test_x_closes_a_percentage_of_a_position(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await pilot.press("x", "2", "5", "%", "enter")  # 25% of 50 AAPL, sent as Alpaca's percentage
        await until(pilot, lambda: positions(sim).get("AAPL") == "37.5", what="25% of AAPL sold")


async def test_junk_in_the_close_dialog_sends_nothing(make_sim):
    """Property: random junk (and an empty field) in the close dialog is a message, never a
    close. One dialog takes every text in turn: each change clears the last message, so
    the message after each Enter is that text's own."""
    import random

    from tui.ui.screens.confirm import parse_close

    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    rng = random.Random(seed := profiles.seed(7))
    junk = ["", "abc", "half", "-3", "1e1", "0", "51", "25%%", "%", "101%", "1/2", "all of it", "ALLL", " ",
            "0.0000000001", "nan", "inf", "1_000", "٣", "y", "n"]
    randoms = ("".join(rng.choice("abc-+e%.,/ 019xyn") for _ in range(rng.randint(1, 6)))
               for _ in range(examples(40, 4000)))
    junk += [text for text in randoms if isinstance(parse_close(text, "AAPL", Decimal(50)), str)][:examples(12, 1200)]
    junk = list(dict.fromkeys(junk))  # each text once: the same text twice is no change
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        orders_before = len(sim.client.get_orders())
        await typed_slowly(pilot, ["x"])
        await until(pilot, lambda: isinstance(app.screen, ClosePositionScreen) and app.screen.is_mounted)
        dialog = app.screen
        field, error = dialog.query_one("#close-qty", Input), dialog.query_one("#close-error")
        for text in junk:
            field.value = text
            await until(pilot, lambda: str(error.render()) == "", what=f"{text!r}: the last message cleared")
            await typed_slowly(pilot, ["enter"])
            await until(pilot, lambda: "Nothing was sent" in str(error.render()),
                        what=f"{text!r} (seed {seed}): a message")
            assert app.screen is dialog, f"{text!r} (seed {seed}) closed the dialog"
        await typed_slowly(pilot, ["escape"])
        await until(pilot, lambda: not isinstance(app.screen, ClosePositionScreen))
        await pilot.pause(0.3)  # time for anything sent to reach the simulator
        assert positions(sim)["AAPL"] == "50"
        assert len(sim.client.get_orders()) == orders_before


async def test_x_then_n_or_escape_keeps_the_position(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        for key in ("n", "escape"):
            await pilot.press("x")
            await until(pilot, lambda: isinstance(app.screen, ClosePositionScreen))
            await pilot.press(key)
            await until(pilot, lambda: not isinstance(app.screen, ClosePositionScreen))
        assert positions(sim)["AAPL"] == "50"


async def test_x_closes_part_of_a_position(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ClosePositionScreen))
        await pilot.press("9", "9")
        await pilot.press("enter")  # more than held: explained, nothing sent
        assert "at most 50" in str(app.screen.query_one("#close-error").render())
        await pilot.press("backspace", "backspace", "2", "0", "enter")
        await until(pilot, lambda: positions(sim).get("AAPL") == "30", what="20 of 50 AAPL sold")


async def test_digits_typed_after_x_are_the_quantity_to_close(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ClosePositionScreen))
        await pilot.pause()
        await pilot.press("5", "enter")
        await until(pilot, lambda: positions(sim).get("AAPL") == "45", what="5 of 50 AAPL sold")


async def test_X_then_y_closes_every_position_and_bulk_dialogs_focus_cancel(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await pilot.press("X")
        await until(pilot, lambda: isinstance(app.screen, CloseAllScreen))
        await pilot.pause()
        assert app.focused is app.screen.query_one("#no", Button)
        await pilot.press("enter")  # Enter on the focused Cancel button: nothing happens
        await until(pilot, lambda: not isinstance(app.screen, CloseAllScreen))
        assert len(positions(sim)) == 6
        await pilot.press("X", "y")
        await until(pilot, lambda: "Positions (0)" in screen_text(app), what="no positions")
        assert positions(sim) == {}
        assert open_orders(sim) == 3  # resting orders untouched without the option


async def test_X_with_the_option_cancels_open_orders_first(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await pilot.press("X", "o", "y")
        await until(pilot, lambda: "Positions (0)" in screen_text(app) and "Orders (0)" in screen_text(app))
        assert positions(sim) == {} and open_orders(sim) == 0


async def test_X_then_n_keeps_everything(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await pilot.press("X")
        await until(pilot, lambda: isinstance(app.screen, CloseAllScreen))
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, CloseAllScreen))
        assert len(positions(sim)) == 6


async def test_c_cancels_the_selected_order(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await pilot.press("3", "c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "Cancel this order?" in screen_text(app)
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert open_orders(sim) == 3
        await pilot.press("c", "y")
        await until(pilot, lambda: "Orders (2)" in screen_text(app), what="one order canceled")
        assert open_orders(sim) == 2


async def test_C_then_y_cancels_every_order_and_escape_does_not(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.focused is app.screen.query_one("#no", Button)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert open_orders(sim) == 3
        await pilot.press("C", "y")
        await until(pilot, lambda: "Orders (0)" in screen_text(app), what="no open orders")
        assert open_orders(sim) == 0
        assert len(positions(sim)) == 6


async def test_live_close_all_wants_the_word_typed_and_y_alone_does_nothing(make_sim):
    from tui.config import Mode

    sim = make_sim(portfolio="sample")
    app = make_app(sim, mode=Mode.LIVE)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await pilot.press("X")
        await until(pilot, lambda: isinstance(app.screen, CloseAllScreen) and app.screen.is_mounted)
        assert "Type CLOSE" in screen_text(app) and "LIVE ACCOUNT" in screen_text(app)
        await pilot.press("y", "enter")  # a reflex: not the word
        await pilot.pause(0.3)
        assert isinstance(app.screen, CloseAllScreen) and "exactly" in screen_text(app)
        assert len(positions(sim)) == 6
        field = app.screen.query_one("#typed", Input)
        field.value = ""
        await pilot.press(*"close", "enter")  # case does not matter; the o is typed, not a toggle
        await until(pilot, lambda: not positions(sim), what="every position closed")
        assert open_orders(sim) == 3  # the cancel-orders option stayed off


async def test_live_cancel_all_wants_cancel_typed_and_escape_sends_nothing(make_sim):
    from tui.config import Mode

    sim = make_sim(portfolio="sample")
    app = make_app(sim, mode=Mode.LIVE)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.is_mounted)
        await pilot.press(*"CANCE", "escape")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert open_orders(sim) == 3
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.is_mounted)
        await pilot.press(*"CANCEL", "enter")
        await until(pilot, lambda: open_orders(sim) == 0, what="every order canceled")
