"""Stream events as the app applies them: a fill sent twice counts once, a late `new`
never reopens a filled order, and orders this app sent are followed to their end."""

from __future__ import annotations

import requests

from tui.ui.app import AlpacaApp

from .hostile import hostile  # noqa: F401  (the fixture)
from .ui_support import config_for, loaded, make_app, screen_text, until


def run_noting(app, seen: list[str]):
    """The app under test, with every notification it posts noted in `seen` as text."""
    return app.run_test(size=(120, 40), notifications=True,
                        message_hook=lambda m: seen.append(str(getattr(m, "notification", ""))))


async def test_a_duplicate_fill_counts_once_and_a_late_new_does_not_reopen(make_sim, hostile):
    sim = make_sim(portfolio="sample")
    fake = hostile(upstream=sim.url)
    app = AlpacaApp(config_for(fake.url), now=None)
    seen: list[str] = []
    async with run_noting(app, seen) as pilot:
        await loaded(pilot)
        await until(pilot, lambda: fake.listeners, what="the app listening on the fake stream")
        [order] = [o for o in app.state.orders.values() if o.symbol == "GOOGL"]
        body = requests.get(f"{sim.url}/v2/orders/{order.id}", timeout=5,
                            headers={"APCA-API-KEY-ID": "k", "APCA-API-SECRET-KEY": "s"}).json()
        filled = dict(body, status="filled", filled_qty=body["qty"], filled_avg_price="280.00",
                      updated_at="2099-01-01T00:00:00Z")
        fill = {"stream": "trade_updates", "data": {"event": "fill", "execution_id": "exec-1", "qty": body["qty"],
                                                    "price": "280.00", "timestamp": "2026-11-23T15:00:00Z",
                                                    "order": filled}}
        fake.push(fill)
        fake.push(fill)  # the same execution again
        late_new = {"stream": "trade_updates", "data": {"event": "new", "order": dict(body, status="new")}}
        fake.push(late_new)
        await until(pilot, lambda: str(order.id) not in app.state.orders, what="the filled order left the open list")
        await pilot.pause(0.5)
        assert str(order.id) not in app.state.orders  # the late `new` did not bring it back
        announced = [n for n in seen if "GOOGL" in n and "@ 280.00" in n]
        assert len(announced) == 1, announced


async def test_an_order_this_app_sent_is_followed_to_its_fill(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    seen: list[str] = []
    async with run_noting(app, seen) as pilot:
        await loaded(pilot)
        # a resting limit buy, typed; then the price comes down to it
        await pilot.press("b", *"INTC", "tab", "3", "tab", "tab", "tab", "right", "tab", *"10", "enter")
        await until(pilot, lambda: "Review order" in screen_text(app), what="the review")
        await pilot.press("y")
        await until(pilot, lambda: any("Order sent" in n for n in seen), what="sent")
        sim.set_price("INTC", "9.50")
        await until(pilot, lambda: any("INTC" in n and "filled" in n for n in seen), what="the fill announced")
        assert any("BUY 3 INTC @" in n for n in seen)


async def test_an_order_canceled_elsewhere_is_announced(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    seen: list[str] = []
    async with run_noting(app, seen) as pilot:
        await loaded(pilot)
        [order] = [o for o in app.state.orders.values() if o.symbol == "META"]
        sim.client.cancel_order_by_id(order.id)  # another program
        await until(pilot, lambda: any("canceled (not by this app)" in n for n in seen), what="announced")
        assert str(order.id) not in app.state.orders
