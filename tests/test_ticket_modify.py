"""The modify ticket's pure logic (tui/broker/order_modify.py): the form from the order,
what may change, the changes as old → new, refusals in plain words."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from tui.broker.holding import Holding, hold_text
from tui.broker.order_modify import changes_of, editable, form_of, leg_changes, own_holding, refusal
from tui.broker.ticket import validate


def order(**more):
    fields = dict(id="11111111-2222-3333-4444-555555555555", symbol="AAPL", side="buy", type="limit", qty="10",
                  filled_qty="0", limit_price="250.5", stop_price=None, trail_price=None, trail_percent=None,
                  time_in_force="gtc", extended_hours=False, status="new", notional=None)
    fields.update(more)
    return SimpleNamespace(**fields)


def plan_for(o, **typed):
    form = form_of(o)
    for name, value in typed.items():
        setattr(form, name, value)
    plan = validate(form)
    assert not isinstance(plan, dict), plan
    return plan


def test_the_form_is_the_order_as_it_stands():
    form = form_of(order())
    assert (form.symbol, form.side, form.order_type, form.qty, form.limit_price, form.tif) == (
        "AAPL", "buy", "limit", "10", "250.5", "gtc")
    assert form_of(order(type="trailing_stop", limit_price=None, trail_percent="2.5")).trail == "2.5%"
    assert form_of(order(type="trailing_stop", limit_price=None, trail_price="1.5")).trail == "1.5"


def test_what_may_change():
    assert editable(order(), leg=False) == ("qty", "limit_price", "tif")
    assert editable(order(type="stop_limit", stop_price="240"), leg=False) == ("qty", "stop_price", "limit_price", "tif")
    assert editable(order(side="sell"), leg=True) == ("limit_price",)
    assert editable(order(side="sell", type="stop", stop_price="200"), leg=True) == ("stop_price",)


def test_changes_are_listed_old_to_new_and_only_those():
    o = order()
    assert changes_of(o, plan_for(o), editable(o, False)) is None  # nothing changed
    change = changes_of(o, plan_for(o, limit_price="251", qty="12", tif="day"), editable(o, False))
    assert [str(row) for row in change.rows] == ["Quantity 10 → 12", "Limit $250.50 → $251.00",
                                                 "Time in force GTC → DAY"]
    assert change.changes == {"qty": Decimal("12"), "limit_price": Decimal("251"), "time_in_force": "day"}


def test_a_trail_keeps_its_kind():
    o = order(type="trailing_stop", limit_price=None, trail_percent="2", side="sell")
    assert changes_of(o, plan_for(o, trail="1.50"), ("trail",)) == {
        "trail": "this order trails by a percent: give one, like 2%"}
    change = changes_of(o, plan_for(o, trail="3%"), ("trail",))
    assert [str(row) for row in change.rows] == ["Trail 2% → 3%"] and change.changes == {"trail": Decimal("3")}


def test_a_legs_price_alone_is_checked():
    leg = order(side="sell", status="held", limit_price="90")
    form = form_of(leg)
    form.limit_price = "95.001"
    assert "sub-penny" in leg_changes(leg, form, ("limit_price",))["limit_price"]
    form.limit_price = "95"
    assert [str(row) for row in leg_changes(leg, form, ("limit_price",)).rows] == ["Limit $90.00 → $95.00"]


def test_refusals_in_plain_words():
    assert refusal(order()) is None and refusal(order(status="held")) is None
    assert refusal(order(status="filled")) == "This order is filled: only open orders can be modified."
    assert "dollar-amount" in refusal(order(qty=None, notional="100"))
    assert "fractional" in refusal(order(qty="1.5"))


def test_the_orders_own_shares_are_free_for_its_replacement():
    sell = order(side="sell", qty="10")
    holding = Holding(Decimal(10), Decimal(0), (hold_text(sell),))
    assert own_holding(holding, sell).free == 10 and own_holding(holding, sell).held_by == ()
    assert own_holding(holding, order()) is holding  # a buy against a long holds nothing
