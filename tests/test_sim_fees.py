"""Regulatory fees on the simulator's live sells (docs: alpaca-api.md §8 "Account
activities"): every sell execution -- whole, partial, or opening a short -- books a TAF
and a REG FEE activity, computed as the seeded past's are (tui/sim/fees.py), and pays
them from cash; and POST /sim/fill, the control that gives tests a partial fill on demand."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import requests

from tui.sim.fmt import NY

from .harness.simulator import HEADERS
from .test_sim_orders import SELL, D, get, limit, market, quote, wait_status

CENT = Decimal("0.01")


def activities(sim, **params) -> list[dict]:
    return sim.client.get("/account/activities", params or None)


def cash(sim) -> Decimal:
    return D(sim.client.get_account().cash)


def fill_on_demand(sim, order_id, qty) -> requests.Response:
    return requests.post(sim.url + "/sim/fill", json={"order_id": str(order_id), "qty": str(qty)},
                         headers=HEADERS, timeout=5)


def expected_fees(qty: Decimal, price: Decimal) -> dict[str, Decimal]:
    """Worked out here by hand from FINRA's and the SEC's rates, not with tui/sim/fees.py."""
    taf = min(max(qty * Decimal("0.000166"), CENT), Decimal("8.30")).quantize(CENT)
    reg = max(qty * price * Decimal("0.0000278"), CENT).quantize(CENT)
    return {"TAF": -taf, "REG": -reg}


def booked_at(activity: dict) -> datetime:
    """An activity id's New York time, to the millisecond."""
    return datetime.strptime(activity["id"][:17] + "000", "%Y%m%d%H%M%S%f")


def fees_of(sim, fill: dict) -> dict[str, Decimal]:
    """The fees booked for one execution: its symbol and qty, within a second after it."""
    mine = [f for f in activities(sim, activity_types="FEE")
            if f["symbol"] == fill["symbol"] and f["qty"] == fill["qty"]
            and 0 < (booked_at(f) - booked_at(fill)).total_seconds() < 1]
    assert all(f["status"] == "executed" and f["activity_type"] == "FEE" for f in mine)
    assert {f["description"] for f in mine} == {"TAF fee", "REG fee"}
    return {f["activity_sub_type"]: D(f["net_amount"]) for f in mine}


def test_a_live_sell_pays_taf_and_reg_from_cash(sim):
    bought = sim.client.submit_order(market("AAPL", 30_000 // 200))
    wait_status(sim, bought.id, "filled")
    assert activities(sim, activity_types="FEE") == []  # buys pay no fees
    before = cash(sim)
    sold = sim.client.submit_order(market("AAPL", 60, SELL))
    wait_status(sim, sold.id, "filled")
    [fill] = [f for f in activities(sim, activity_types="FILL") if f["order_id"] == str(sold.id)]
    qty, price = D(fill["qty"]), D(fill["price"])
    fees = fees_of(sim, fill)
    assert fees == expected_fees(qty, price) and all(v < 0 for v in fees.values())
    assert cash(sim) == before + qty * price + sum(fees.values())
    filled_on = datetime.fromisoformat(fill["transaction_time"].replace("Z", "+00:00")).astimezone(NY).date()
    assert {f["date"] for f in activities(sim, activity_types="FEE")} == {filled_on.isoformat()}


def test_a_short_sale_pays_fees_too(sim):
    before = cash(sim)
    sold = sim.client.submit_order(market("MSFT", 7, SELL))
    wait_status(sim, sold.id, "filled")
    [fill] = activities(sim, activity_types="FILL")
    assert fill["side"] == "sell_short"
    fees = fees_of(sim, fill)
    assert fees == expected_fees(Decimal(7), D(fill["price"]))
    assert cash(sim) == before + 7 * D(fill["price"]) + sum(fees.values())


def test_each_partial_fill_pays_its_own_fees_and_the_ledger_still_adds_up(make_sim):
    sim = make_sim(portfolio="sample")
    held = D(sim.client.get_open_position("AAPL").qty)
    assert held >= 4
    before = cash(sim)
    resting = sim.client.submit_order(limit("AAPL", 4, (quote(sim, "AAPL").bid * 2).quantize(CENT), SELL))
    wait_status(sim, resting.id, "new")
    answer = fill_on_demand(sim, resting.id, 1)
    assert answer.status_code == 200 and answer.json()["status"] == "partially_filled"
    assert fill_on_demand(sim, resting.id, 3).json()["status"] == "filled"
    fills = [f for f in activities(sim, activity_types="FILL") if f["order_id"] == str(resting.id)]
    assert [f["type"] for f in fills] == ["fill", "partial_fill"]  # newest first
    charged = sum((sum(fees_of(sim, f).values()) for f in fills), Decimal(0))
    assert charged == sum((sum(expected_fees(D(f["qty"]), D(f["price"])).values()) for f in fills), Decimal(0))
    assert cash(sim) == before + 4 * D(resting.limit_price) + charged
    # The whole ledger -- seeded past and live sells alike -- still ends at today's cash.
    total = Decimal(0)
    for activity in activities(sim, page_size=100):
        if activity["activity_type"] == "FILL":
            signed = D(activity["qty"]) * D(activity["price"])
            total += signed if activity["side"] != "buy" else -signed
        else:
            total += D(activity["net_amount"])
    assert total == cash(sim)


def test_fill_on_demand_leaves_a_resting_order_partially_filled(sim):
    resting = sim.client.submit_order(limit("AAPL", 10, Decimal("1.00")))
    wait_status(sim, resting.id, "new")
    assert fill_on_demand(sim, resting.id, 4).status_code == 200
    sim.tick()  # the market is far from $1: nothing more executes
    order = get(sim, resting.id)
    assert order.status.value == "partially_filled" and D(order.filled_qty) == 4
    assert D(sim.client.get_open_position("AAPL").qty) == 4
    too_much = fill_on_demand(sim, resting.id, 7)
    assert too_much.status_code == 422 and "at most 6" in too_much.json()["message"]
    sim.client.cancel_order_by_id(resting.id)
    assert fill_on_demand(sim, resting.id, 1).status_code == 422
