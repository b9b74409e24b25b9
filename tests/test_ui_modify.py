"""Modify (`m`) through the real app against the simulator: the ticket filled in from the
order, the review's old → new, the replace sent and reported, the old order `replaced`
with a link to the new one; nothing changed → nothing sent; a closed order refused; a
rejection shown with Alpaca's code; a bracket leg's price; a lost answer found by the
replacement's client_order_id; a burst of keys equals slow typing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tui.broker.delivery import Dispatcher
from tui.ui import compat
from tui.ui.screens.modify import ModifyReviewScreen, ModifyScreen
from tui.ui.screens.order_detail import OrderDetailScreen
from tui.ui.widgets.orders import OrdersTable

from .market_support import run_blocking
from .test_delivery_replace import Flaky
from .test_ui_order_detail import by_symbol, detail_app, open_order, orders_of, resting_bracket
from .ui_support import burst, loaded, screen_text, settled, typed_slowly, until


def said(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in compat.shown_notifications(app)]


async def select(pilot, order_id: str) -> None:
    app = pilot.app
    table = app.main.query_one(OrdersTable)
    await until(pilot, lambda: order_id in orders_of(app), what="the order's row")
    table.focus()
    table.move_cursor(row=table.get_row_index(order_id))
    await pilot.pause()


async def modify(pilot, order_id: str) -> ModifyScreen:
    await select(pilot, order_id)
    await pilot.press("m")
    await until(pilot, lambda: isinstance(pilot.app.screen, ModifyScreen), what="the modify ticket")
    await pilot.pause()
    return pilot.app.screen


def replacement_of(app, old_id: str) -> Any:
    return next((o for o in app.state.orders.values() if str(getattr(o, "replaces", None) or "") == old_id), None)


async def test_m_changes_a_resting_limit_and_the_old_order_ends_replaced(make_sim):
    sim, app = detail_app(make_sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        old = by_symbol(app, "GOOGL")
        old_id = str(old.id)
        screen = await modify(pilot, old_id)
        assert screen.query_one("#symbol").disabled and screen.query_one("#side").disabled
        assert screen.query_one("#order_type").disabled and not screen.query_one("#limit_price").disabled
        assert screen.query_one("#limit_price").value == "285.51" and screen.query_one("#qty").value == "15"
        text = screen_text(app)
        assert "MODIFY BUY order" in text
        await pilot.press("tab", *"280", "enter")
        await until(pilot, lambda: isinstance(app.screen, ModifyReviewScreen), what="the review")
        await pilot.pause()
        text = screen_text(app)
        assert "Limit" in text and "$285.51 → $280.00" in text, text
        assert "Quantity" not in text  # unchanged fields are not listed
        await pilot.press("y")
        await until(pilot, lambda: replacement_of(app, old_id) is not None, timeout=10, what="the new order")
        new = replacement_of(app, old_id)
        assert Decimal(str(new.limit_price)) == Decimal("280") and Decimal(str(new.qty)) == 15
        await until(pilot, lambda: old_id not in app.state.orders, timeout=10, what="the old order gone from open")
        await until(pilot, lambda: str(new.id) in orders_of(app), what="the new order's row")
        was = await run_blocking(sim.client.get_order_by_id, old_id)
        assert was.status.value == "replaced" and str(was.replaced_by) == str(new.id)
        assert any("Order modified" in m and str(new.id)[:8] in m for m in said(app)), said(app)


async def test_a_qty_change_and_the_old_orders_detail_links_the_new_one(make_sim):
    sim, app = detail_app(make_sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        old_id = str(by_symbol(app, "GOOGL").id)
        detail = await open_order(pilot, old_id)
        await pilot.press("m")  # from the order's detail
        await until(pilot, lambda: isinstance(app.screen, ModifyScreen), what="the modify ticket")
        await pilot.press(*"20", "enter")
        await until(pilot, lambda: isinstance(app.screen, ModifyReviewScreen), what="the review")
        await pilot.pause()
        assert "15 → 20" in screen_text(app)
        await pilot.press("y")
        await until(pilot, lambda: app.screen is detail, what="back on the detail")
        await until(pilot, lambda: replacement_of(app, old_id) is not None, timeout=10, what="the new order")
        new = replacement_of(app, old_id)
        assert Decimal(str(new.qty)) == 20
        await until(pilot, lambda: "replaced" == str(getattr(detail.order.status, "value", detail.order.status)),
                    timeout=10, what="the detail shows replaced")
        text = screen_text(app)
        assert "Replaced by" in text and str(new.id) in text, text


async def test_nothing_changed_says_so_and_sends_nothing(make_sim):
    sim, app = detail_app(make_sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        old_id = str(by_symbol(app, "GOOGL").id)
        before = len(await run_blocking(lambda: list(sim.client.get_orders())))
        await modify(pilot, old_id)
        await pilot.press("enter")
        await until(pilot, lambda: any("Nothing changed" in m for m in said(app)), what="the message")
        assert isinstance(app.screen, ModifyScreen) and "Nothing changed: nothing to send" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert len(await run_blocking(lambda: list(sim.client.get_orders()))) == before
        assert old_id in app.state.orders


async def test_a_filled_order_is_refused_with_a_clear_message(make_sim):
    from alpaca.trading.requests import LimitOrderRequest

    sim, app = detail_app(make_sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        placed = await run_blocking(sim.client.submit_order, LimitOrderRequest(
            symbol="INTC", qty=3, side="buy", time_in_force="gtc", limit_price=1.00))
        order_id = str(placed.id)
        screen = await open_order(pilot, order_id)
        await run_blocking(sim.set_price, "INTC", "0.90")
        await until(pilot, lambda: str(getattr(screen.order.status, "value", screen.order.status)) == "filled",
                    timeout=10, what="the fill")
        await pilot.press("m")
        await until(pilot, lambda: any("filled: only open orders can be modified" in m for m in said(app)),
                    what="the refusal")
        assert isinstance(app.screen, OrderDetailScreen)
        app.flow.modify_order(screen.order)  # the flow refuses it too (a stale row)
        await pilot.pause()
        assert not isinstance(app.screen, ModifyScreen)


async def test_a_rejected_replace_shows_alpacas_code_and_message(make_sim):
    sim, app = detail_app(make_sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        old_id = str(by_symbol(app, "GOOGL").id)
        await modify(pilot, old_id)
        await pilot.press(*"900000", "enter")
        await until(pilot, lambda: isinstance(app.screen, ModifyReviewScreen), what="the review")
        await pilot.press("y")
        await until(pilot, lambda: any("REJECTED" in m and "40310000" in m for m in said(app)), timeout=10,
                    what="the rejection")
        message = next(m for m in said(app) if "REJECTED" in m)
        assert "insufficient buying power" in message and "MODIFY" in message
        assert old_id in app.state.orders and replacement_of(app, old_id) is None


async def test_a_bracket_legs_take_profit_price_changes(make_sim):
    sim, app = detail_app(make_sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        parent_id = await resting_bracket(pilot, sim)
        take_profit = next(leg for leg in app.state.orders[parent_id].legs if leg.type.value == "limit")
        screen = await modify(pilot, str(take_profit.id))
        assert screen.leg and screen.editable == ("limit_price",)
        assert screen.query_one("#qty").disabled and screen.query_one("#tif").disabled
        assert "take-profit leg" in screen_text(app)
        await pilot.press(*"95", "enter")
        await until(pilot, lambda: isinstance(app.screen, ModifyReviewScreen), what="the review")
        await pilot.pause()
        assert "$90.00 → $95.00" in screen_text(app)
        await pilot.press("y")
        await until(pilot, lambda: any("Order modified" in m for m in said(app)), timeout=10, what="the report")
        from alpaca.trading.requests import GetOrderByIdRequest

        parent = await run_blocking(sim.client.get_order_by_id, parent_id, GetOrderByIdRequest(nested=True))
        prices = sorted(Decimal(str(leg.limit_price)) for leg in parent.legs if leg.limit_price is not None)
        assert prices == [Decimal("95")]
        old = await run_blocking(sim.client.get_order_by_id, str(take_profit.id))
        assert old.status.value == "replaced"


async def test_a_lost_answer_is_found_and_one_live_order_has_the_new_values(make_sim):
    sim, app = detail_app(make_sim)
    flaky: list[Flaky] = []

    def factory(broker, journal, backoff):
        flaky.append(Flaky(broker, "after"))
        return Dispatcher(flaky[0], journal, backoff=backoff)

    app.flow._dispatcher_factory = factory
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        old_id = str(by_symbol(app, "GOOGL").id)
        await modify(pilot, old_id)
        await pilot.press("tab", *"281", "enter")
        await until(pilot, lambda: isinstance(app.screen, ModifyReviewScreen), what="the review")
        await pilot.press("y")
        await until(pilot, lambda: any("Order modified" in m for m in said(app)), timeout=10, what="the report")
        assert any("found on the server" in m for m in said(app)), said(app)
        assert flaky and flaky[0].left == 0
        live = [o for o in await run_blocking(lambda: list(sim.client.get_orders())) if o.symbol == "GOOGL"]
        assert len(live) == 1 and Decimal(str(live[0].limit_price)) == Decimal("281")


async def limit_after(make_sim, keys: list[str], slow: bool) -> Decimal:
    sim, app = detail_app(make_sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        old_id = str(by_symbol(app, "GOOGL").id)
        await select(pilot, old_id)
        if slow:
            await typed_slowly(pilot, keys)
        else:
            await settled(pilot, burst(app, keys))
        await until(pilot, lambda: replacement_of(app, old_id) is not None, timeout=10, what="the new order")
        new = replacement_of(app, old_id)
        return Decimal(str(new.limit_price)), Decimal(str(new.qty))


async def test_a_burst_of_m_keys_enter_y_equals_slow_typing(make_sim):
    keys = ["m", "1", "6", "tab", "2", "8", "2", "enter", "y"]
    assert await limit_after(make_sim, keys, slow=False) == await limit_after(make_sim, keys, slow=True) \
        == (Decimal("282"), Decimal("16"))


async def test_m_on_a_closed_order_in_the_history_is_refused_in_plain_words(make_sim):
    from tui.ui.widgets.orders import HistoryTable, OrdersPane

    sim, app = detail_app(make_sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        pane = app.main.query_one(OrdersPane)
        await pilot.press("3", "f")
        table = pane.query_one(HistoryTable)
        await until(pilot, lambda: pane.history_by_row and table.has_focus, timeout=10, what="the closed orders")
        await pilot.pause()
        closed = pane.selected_order
        status = str(getattr(closed.status, "value", closed.status))
        await pilot.press("m")
        await until(pilot, lambda: any("only open orders can be modified" in m for m in said(app)),
                    what="the refusal")
        assert any(f"This order is {status.replace('_', ' ')}" in m for m in said(app)), said(app)
        assert not isinstance(app.screen, ModifyScreen)
