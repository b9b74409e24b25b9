"""Property-based tests of the order ticket (tui/broker/ticket.py), issue 4: random input
never crashes it and never sends an invalid order.

Hypothesis types hostile text into every field of the ticket (unicode, whitespace, NaN and
infinity spellings, exponents, commas, '$', sub-penny and huge numbers) mixed with the
values a trader types, against random asset facts, holdings (positions with shares held
by open orders), quotes (NaN, infinite and absurd ones too, of any age) and sessions. The
properties:

1. `validate`, `OrderPlan.rows`, `review` and `to_request` never raise: bad input comes
   back as per-field messages.
2. Whatever `validate` accepts obeys Alpaca's documented order rules,
   checked here by `alpaca_problems`, written from the doc and not from the module: among
   them, an order that closes shares never asks for more than qty_available.
3. An accepted plan becomes an alpaca-py request whose JSON body, as alpaca-py posts it,
   carries exactly the symbol, side, size, type and prices that the review showed.
4. A rejected form yields errors only: no plan, so nothing is reviewed or sent.

The strategies are in tests/ticket_inputs.py, Alpaca's rules in tests/alpaca_rules.py.
Deterministic (derandomized) by default, 100 examples a property; a deeper search, new
examples every run: HYPOTHESIS_PROFILE=thorough pytest tests/test_ticket_properties.py
(5,000 a property).
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alpaca.trading.requests import (
    LimitOrderRequest,
    MarketOrderRequest,
    StopLimitOrderRequest,
    StopOrderRequest,
    TrailingStopOrderRequest,
)
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tui.broker.ticket import (
    Holding,
    OrderPlan,
    Quote,
    Review,
    ReviewFacts,
    TicketForm,
    review,
    tifs_for,
    validate,
)
from tui.sessions import Session

from .alpaca_rules import alpaca_problems, decimal_places, shown, sub_penny, wire_body
from .harness.profiles import examples
from .ticket_inputs import (NOW, SCENARIOS, client_order_ids, held_positions, holding_truth, quotes, review_facts,
                            tickets, times, weighted)

D = Decimal

# One budget for every property here (tests/harness/profiles.py); filtering is expected.
PROFILE = settings(max_examples=examples(100, 5000), deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
FORM_FIELDS = {f.name for f in fields(TicketForm)}


# ---- 1. nothing the user types makes the ticket raise ---------------------------------------


@PROFILE
@given(ticket=tickets(hostile=True), quote=quotes, facts=review_facts, now=times, client_order_id=client_order_ids)
@example(ticket=(TicketForm(symbol="AAPL", qty="1e999999"), None, D(0)), quote=None,
         facts=ReviewFacts(D(0), D(0)), now=None, client_order_id="tui-0")
@example(ticket=(TicketForm(symbol="AAPL", qty="sNaN", notional="nan", trail="nan%", order_type="trailing_stop"),
                 None, D(0)), quote=None, facts=ReviewFacts(D(0), D(0)), now=None, client_order_id="tui-0")
# A quote of NaN made review() raise (Decimal NaN cannot be compared with 0).
@example(ticket=(TicketForm(symbol="AAPL", qty="1"), None, D(0)), quote=Quote(D("NaN"), D("NaN"), D("NaN")),
         facts=ReviewFacts(D(0), D(0)), now=None, client_order_id="tui-0")
# A dollar amount at a price of 1e-30 is 1e42 shares: too many digits to round for a message.
@example(ticket=(TicketForm(symbol="AAPL", side="sell", qty="", notional="1000000"), None, Holding(D(30), D(20))),
         quote=Quote(D("1e-30"), D("1e-30"), None), facts=ReviewFacts(D(0), D(0), holding=Holding(D(30), D(20))),
         now=NOW, client_order_id="tui-0")
# A session time at the edge of the calendar (year 1) overflowed when shown in New York time.
@example(ticket=(TicketForm(symbol="AAPL", qty="1"), None, D(0)), quote=None,
         facts=ReviewFacts(D(0), D(0), session=Session("closed", None, "pre-market",
                                                       datetime(1, 1, 1, tzinfo=timezone.utc),
                                                       datetime(1, 1, 1, tzinfo=timezone.utc))),
         now=None, client_order_id="tui-0")
def test_nothing_typed_raises(ticket, quote, facts, now, client_order_id):
    form, asset, holding = ticket
    tifs_for(form.order_type)  # the ticket asks which TIFs to offer for the chosen type
    result = validate(form, asset, holding)
    assert isinstance(result, (OrderPlan, dict))
    if isinstance(result, OrderPlan):
        rows = result.rows()
        assert rows and all(isinstance(label, str) and isinstance(value, str) and value for label, value in rows)
        outlook = review(result, quote, facts, now)
        assert isinstance(outlook, Review) and all(isinstance(w, str) and w and "\n" not in w for w in outlook.warnings)
        assert all(isinstance(label, str) and isinstance(value, str) and value for label, value in outlook.rows())
        assert outlook.quote_age is None or outlook.quote_age >= timedelta(0)
        result.to_request(client_order_id)


# ---- 2. whatever is accepted is an order Alpaca takes ---------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
@settings(PROFILE, max_examples=max(1, PROFILE.max_examples // 8))  # ~100 plans across the scenarios
@given(data=st.data())
def test_accepted_orders_obey_alpacas_rules(scenario, data):
    form, asset, holding = data.draw(tickets(plausible=True, scenario=scenario), label="ticket")
    plan = validate(form, asset, holding)
    assume(isinstance(plan, OrderPlan))
    assert alpaca_problems(plan, form, asset, holding) == []


@st.composite
def closing_orders(draw: st.DrawFn) -> tuple[TicketForm, Holding]:
    """A sell of a long or a buy to cover a short, some of whose shares open orders hold,
    for a quantity around what is available (or a dollar amount)."""
    holding = draw(held_positions().filter(lambda h: h.qty != 0))
    available = abs(holding.available)
    qty = draw(weighted(
        (3, st.integers(0, int(abs(holding.qty)) + 3).map(D)),
        (1, st.sampled_from([available, available + D("0.000000001"), available - D("0.000000001"),
                             abs(holding.qty), abs(holding.qty) + 1])),
    ))
    side = "sell" if holding.qty > 0 else "buy"
    order_type, limit = draw(st.sampled_from([("market", ""), ("limit", "100")]))
    dollars = order_type == "market" and draw(st.sampled_from([False, False, True]))
    form = TicketForm(symbol="AAPL", side=side, qty="" if dollars else format(qty, "f"),
                      notional="100" if dollars else "", order_type=order_type, limit_price=limit)
    return form, holding


@PROFILE
@given(order=closing_orders())
@example(order=(TicketForm(symbol="AAPL", side="sell", qty="25"), Holding(D(30), D(20), ("SELL 10 AAPL",))))
@example(order=(TicketForm(symbol="AAPL", side="buy", qty="25"), Holding(D(-30), D(-20), ("BUY 10 AAPL",))))
def test_an_accepted_order_never_closes_more_than_is_available(order):
    form, holding = order
    position, available = holding_truth(holding)
    result = validate(form, None, holding)
    if isinstance(result, OrderPlan):
        if result.qty is not None:
            assert result.qty <= available
        else:
            assert available > 0
    else:  # refused only for a reason: more shares than available, or none to size a dollar amount against
        size = D(form.qty) if form.qty else None
        if size is None:
            assert available == 0, result
        elif (0 < size <= D("1e12") and size == size.quantize(D("1e-9"))
              and D(repr(float(size))) == size):  # else a number alpaca-py cannot send, refused as such
            assert size > available, result
            if available > 0:
                assert f"at most {format(available.normalize(), 'f')}" in result["qty"]


# ---- 3. the request carries exactly the reviewed order --------------------------------------

REQUEST_CLASS = {
    "market": MarketOrderRequest,
    "limit": LimitOrderRequest,
    "stop": StopOrderRequest,
    "stop_limit": StopLimitOrderRequest,
    "trailing_stop": TrailingStopOrderRequest,
}
WIRE_PRICES = {"limit_price": "limit_price", "stop_price": "stop_price", "trail_price": "trail_price",
               "trail_percent": "trail_percent"}


@PROFILE
@given(ticket=tickets(plausible=True), client_order_id=client_order_ids)
# Found by this test: numbers past a float's precision were accepted, and alpaca-py's float
# sent another number than the review showed (1000000000000.0 shares; a 2.3333333333333335% trail).
@example(ticket=(TicketForm(symbol="AAPL", qty="999999999999.999999999"), None, D(0)), client_order_id="tui-1")
@example(ticket=(TicketForm(symbol="AAPL", qty="123456789012.123456789"), None, D(0)), client_order_id="tui-2")
@example(ticket=(TicketForm(symbol="AAPL", qty="1", order_type="trailing_stop", trail="2." + "3" * 30 + "%"),
                 None, D(0)), client_order_id="tui-3")
def test_accepted_orders_reach_the_wire_as_reviewed(ticket, client_order_id):
    form, asset, holding = ticket
    plan = validate(form, asset, holding)
    assume(isinstance(plan, OrderPlan))
    request = plan.to_request(client_order_id)
    assert type(request) is REQUEST_CLASS[plan.order_type]

    body = wire_body(plan, client_order_id)
    assert body["symbol"] == plan.symbol
    assert body["side"] == plan.side
    assert body["type"] == plan.order_type
    assert body["time_in_force"] == plan.tif
    assert body["client_order_id"] == client_order_id and len(client_order_id) <= 128
    assert body["order_class"] == plan.order_class
    assert body.get("extended_hours", False) is plan.extended_hours
    # sizes and prices arrive as the exact numbers reviewed (alpaca-py sends floats)
    assert body.get("qty") == plan.qty and body.get("notional") == plan.notional
    for name, key in WIRE_PRICES.items():
        assert body.get(key) == getattr(plan, name), name
    assert body.get("take_profit", {}).get("limit_price") == plan.take_profit
    assert body.get("stop_loss", {}).get("stop_price") == plan.stop_loss
    # ... and still obey the rules once they are floats on the wire
    if body.get("qty") is not None:
        assert body["qty"] > 0 and decimal_places(body["qty"]) <= 9
    for price in (body.get("limit_price"), body.get("stop_price"), body.get("trail_price"),
                  body.get("take_profit", {}).get("limit_price"), body.get("stop_loss", {}).get("stop_price")):
        assert price is None or (price > 0 and not sub_penny(price))

    # the review screen shows the same numbers that are sent
    rows = dict(plan.rows())
    assert rows["Symbol"] == body["symbol"] and rows["Side"] == body["side"].upper()
    assert rows["Type"].replace(" ", "_") == body["type"] and rows["Time in force"] == body["time_in_force"].upper()
    assert shown(rows["Quantity"] if "Quantity" in rows else rows["Notional"]) == body.get("qty", body.get("notional"))
    for label, key in [("Limit price", "limit_price"), ("Stop price", "stop_price")]:
        assert (shown(rows[label]) if label in rows else None) == body.get(key)
    if "Trail" in rows:
        assert shown(rows["Trail"]) == body.get("trail_price", body.get("trail_percent"))
    for label, leg, key in [("Take profit", "take_profit", "limit_price"), ("Stop loss", "stop_loss", "stop_price")]:
        assert (shown(rows[label]) if label in rows else None) == body.get(leg, {}).get(key)


# ---- 4. a rejected form yields errors and nothing to send -----------------------------------


@PROFILE
@given(ticket=tickets())
def test_rejected_forms_yield_no_plan(ticket):
    """The ticket screen shows a dict's messages next to their fields and returns; only an
    OrderPlan goes on to the review and the send. So a rejection must be a non-empty dict of
    displayable messages keyed by form fields, and hold nothing that could be sent."""
    form, asset, holding = ticket
    result = validate(form, asset, holding)
    assume(not isinstance(result, OrderPlan))
    assert isinstance(result, dict) and result
    for field, message in result.items():
        assert field in FORM_FIELDS, field
        assert isinstance(message, str) and message.strip() and "\n" not in message
    assert validate(form, asset, holding) == result  # the same answer every time
