"""What the trader sees stays true at 80×24: the status bar under any number of rows, few
small notifications above it, a live quote in the ticket, `n` back to the field last
edited, on/off boxes that read without colour."""

from __future__ import annotations

from textual.widgets import Input

from tui.ui.screens.confirm import CloseAllScreen
from tui.ui.screens.ticket import ReviewScreen, TicketScreen

from .ui_support import loaded, make_app, screen_text, until
from tui.ui import compat


async def test_80x24_with_15_positions_and_10_orders_keeps_the_status_bar_and_footer(make_sim):
    sim = make_sim(portfolio="sample", positions=20, open_orders=7)
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        lines = screen_text(app).splitlines()
        assert len(app.state.positions) >= 15 and len(app.state.orders) >= 10
        assert "stream" in lines[-2] and "req/min" in lines[-2]  # the status bar, second to last
        assert "Quit" in lines[-1]  # the footer, last
        assert not any(line.rstrip().endswith("▆▆") for line in lines)  # no stray screen scrollbar


async def test_notifications_stand_above_the_status_bar_three_at_most_two_lines_each(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await loaded(pilot)
        for n in range(5):
            app.notify(f"notice {n} " + "a very long message that would wrap many times " * 4 +
                       "3f2a9c1e-0b4d-4c55-9e8a-1234567890ab")
        await pilot.pause(0.3)
        assert len(compat.shown_notifications(app)) == 3  # the oldest gave way
        assert all(n.message.count("\n") <= 1 for n in compat.shown_notifications(app))
        lines = screen_text(app).splitlines()
        assert "req/min" in lines[-2] and "Quit" in lines[-1]  # not covered


async def test_the_ticket_quote_follows_the_price(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("b", *"INTC")
        await until(pilot, lambda: "INTC  bid" in screen_text(app), what="the first quote")
        sim.set_price("INTC", "31.00")
        await until(pilot, lambda: "ask 31.0" in screen_text(app) or "bid 30.9" in screen_text(app),
                    timeout=3, what="the quote refreshed within 2 s")


async def test_n_from_the_review_returns_to_the_field_last_edited(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("b", *"MSFT", "tab", "5", "tab", "tab", "tab", "right", "tab", *"480", "enter")
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen), what="the review")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen) and app.focused is not None
                    and app.focused.id == "limit_price", what="back in Limit")
        await pilot.press(*"475")  # replaces the limit price (selected), not the symbol
        ticket = app.screen
        assert ticket.query_one("#limit_price", Input).value == "475"
        assert ticket.query_one("#symbol", Input).value == "MSFT"


async def test_the_cancel_orders_box_reads_without_colour(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("X")
        await until(pilot, lambda: isinstance(app.screen, CloseAllScreen), what="the dialog")
        await until(pilot, lambda: "[ ] cancel the 3 open orders first" in screen_text(app), what="unchecked")
        await pilot.press("o")
        await until(pilot, lambda: "[x] cancel the 3 open orders first" in screen_text(app), what="checked")
        await pilot.press("escape")


def test_the_rejection_segment_keeps_its_code_whole_in_the_room_it_has():
    from tui.broker.errors import Problem
    from tui.ui.widgets.statusbar import rejection_text

    text = rejection_text(Problem("[/] forbidden " * 10, 403, 40310000), 28, 2)
    assert text.startswith("REJECTED 2s ") and text.endswith("… (40310000)") and len(text) <= 28
