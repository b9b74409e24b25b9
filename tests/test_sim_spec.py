"""The simulator's answers against Alpaca's published OpenAPI schemas (an excerpt in
tests/fixtures/alpaca-trading-api-schemas.json; its _source says where it comes from).

The validator below covers the part of OpenAPI 3.0 those schemas use ($ref, type, nullable,
enum, properties, required, items, minLength, maxLength, formats uuid/date/date-time): the
jsonschema package is not in the project's environment, and OpenAPI's `nullable` is not
JSON Schema anyway. Fields the schema does not list are allowed, as the spec allows them."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alpaca.trading.enums import OrderClass, OrderSide, TimeInForce
from alpaca.trading.requests import LimitOrderRequest, StopLossRequest, TakeProfitRequest, TrailingStopOrderRequest

from .test_sim_orders import market, quote, wait_status

SPEC = json.loads((Path(__file__).parent / "fixtures" / "alpaca-trading-api-schemas.json").read_text())
SCHEMAS = SPEC["components"]["schemas"]
TYPES = {"string": str, "boolean": bool, "object": dict, "array": list}
# The spec says date-time for a non-trade activity's date, while its own example (and the
# live service) send a plain date: either is taken there.
DATE_OR_TIME = {("NonTradeActivities", "date")}
# Bracket and OTO exits wait as "held" until their entry fills: Alpaca sends it (alpaca-api.md
# §3; alpaca-py's OrderStatus has HELD) though the spec's OrderStatus enum leaves it out.
SPEC_GAPS = {"OrderStatus": ["held"]}


def _format_ok(fmt: str | None, value: str, lenient: bool) -> bool:
    try:
        if fmt == "uuid":
            uuid.UUID(value)
        elif fmt == "date":
            date.fromisoformat(value)
        elif fmt == "date-time":
            if lenient and len(value) == 10:
                date.fromisoformat(value)
            else:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                assert moment.tzinfo is not None  # RFC 3339 has an offset
    except (ValueError, AssertionError):
        return False
    return True


def problems(value: Any, schema: dict, where: str = "$", owner: str = "") -> list[str]:
    """Every way `value` breaks `schema`, as "path: what"."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return problems(value, SCHEMAS[name], where, name)  # the schema's name: SPEC_GAPS, DATE_OR_TIME
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null where the spec has no nullable"]
    kind = schema.get("type")
    if kind == "integer" and not (isinstance(value, int) and not isinstance(value, bool)):
        return [f"{where}: {value!r} is not an integer"]
    if kind == "number" and not (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return [f"{where}: {value!r} is not a number"]
    if kind in TYPES and not isinstance(value, TYPES[kind]):
        return [f"{where}: {type(value).__name__} where the spec has {kind}"]
    found = []
    if "enum" in schema and value not in schema["enum"] + SPEC_GAPS.get(owner, []):
        found.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            found.append(f"{where}: length {len(value)} outside the spec's bounds")
        field = where.rsplit(".", 1)[-1]
        if "format" in schema and not _format_ok(schema["format"], value, (owner, field) in DATE_OR_TIME):
            found.append(f"{where}: {value!r} is not {schema['format']}")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{where}: {name} missing")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                found += problems(value[name], sub, f"{where}.{name}", owner)
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += problems(item, schema["items"], f"{where}[{i}]", owner)
    return found


def check(value: Any, schema_name: str) -> None:
    found = problems(value, SCHEMAS[schema_name], "$", schema_name)
    assert found == [], "\n".join(found[:20])


# ---- the validator itself can fail ----------------------------------------------------------

def test_the_validator_catches_what_breaks_the_spec():
    order = {"notional": None, "type": "limit", "time_in_force": "day", "side": "buy", "status": "new",
             "replaced_by": None, "qty": "1", "created_at": "2026-01-02T09:30:00-05:00"}
    assert problems(order, SCHEMAS["Order"], "$", "Order") == []
    assert problems({**order, "side": "sell_short"}, SCHEMAS["Order"])
    assert problems({**order, "qty": 1}, SCHEMAS["Order"])
    assert problems({**order, "replaced_by": "not-a-uuid"}, SCHEMAS["Order"])
    assert problems({**order, "created_at": "yesterday"}, SCHEMAS["Order"])
    assert problems({**order, "position_intent": None}, SCHEMAS["Order"])  # PositionIntent is not nullable
    assert problems({k: v for k, v in order.items() if k != "notional"}, SCHEMAS["Order"])
    assert problems({"timestamp": [1.5], "equity": [], "profit_loss": [], "profit_loss_pct": [],
                     "base_value": 1, "timeframe": "1D"}, SCHEMAS["PortfolioHistory"])


# ---- the simulator's answers --------------------------------------------------------------------

@pytest.fixture
def busy(make_sim):
    """The sample account, with a bracket, an OCO, a trailing stop and some fills of its own."""
    sim = make_sim(portfolio="sample", closed_orders=50)
    ask = quote(sim, "KO").ask
    cents = lambda x: float(Decimal(x).quantize(Decimal("0.01")))  # noqa: E731
    sim.client.submit_order(LimitOrderRequest(
        symbol="KO", qty=2, side=OrderSide.BUY, time_in_force=TimeInForce.GTC, limit_price=cents(ask * Decimal("0.9")),
        order_class=OrderClass.BRACKET, take_profit=TakeProfitRequest(limit_price=cents(ask * 2)),
        stop_loss=StopLossRequest(stop_price=cents(ask / 2))))
    bid = quote(sim, "NVDA").bid
    sim.client.submit_order(LimitOrderRequest(
        symbol="NVDA", qty=5, side=OrderSide.SELL, time_in_force=TimeInForce.GTC, limit_price=cents(bid * 2),
        order_class=OrderClass.OCO, take_profit=TakeProfitRequest(limit_price=cents(bid * 2)),
        stop_loss=StopLossRequest(stop_price=cents(bid / 2))))
    sim.client.submit_order(TrailingStopOrderRequest(symbol="AAPL", qty=3, side=OrderSide.SELL,
                                                     time_in_force=TimeInForce.GTC, trail_percent=5))
    for symbol in ("MSFT", "F"):
        wait_status(sim, sim.client.submit_order(market(symbol, 2)).id, "filled")
    return sim


def test_orders_match_the_spec(busy):
    for status in ("open", "closed", "all"):
        for nested in ("true", "false"):
            orders = busy.client.get("/orders", {"status": status, "nested": nested, "limit": 500})
            assert orders
            for order in orders:
                check(order, "Order")
    assert any(o["legs"] for o in busy.client.get("/orders", {"status": "open", "nested": "true"}))


def test_positions_and_the_account_match_the_spec(busy):
    positions = busy.client.get("/positions")
    assert len(positions) >= 7
    for position in positions:
        check(position, "Position")
    check(busy.client.get("/positions/TSLA"), "Position")
    check(busy.client.get("/account"), "Account")


def test_legacy_pdt_account_matches_the_spec(make_sim):
    check(make_sim(portfolio="sample", pdt="legacy").client.get("/account"), "Account")


def test_activities_match_the_spec(busy):
    found = busy.client.get("/account/activities", {"page_size": 100})
    assert {a["activity_type"] for a in found} >= {"FILL", "DIV", "FEE", "INT", "CSD", "JNLC"}
    for activity in found:
        check(activity, "TradingActivities" if activity["activity_type"] == "FILL" else "NonTradeActivities")


@pytest.mark.parametrize("params", [
    {"period": "1M", "timeframe": "1D"},
    {"period": "1A", "timeframe": "1D", "cashflow_types": "ALL"},
    {"period": "1D", "timeframe": "5Min", "intraday_reporting": "continuous"},
    {"period": "1W", "timeframe": "1H", "pnl_reset": "no_reset", "intraday_reporting": "extended_hours"},
    {},
])
def test_portfolio_history_matches_the_spec(busy, params):
    history = busy.client.get("/account/portfolio/history", params)
    check(history, "PortfolioHistory")
    assert len(history["timestamp"]) == len(history["equity"]) == len(history["profit_loss"]) > 0
    for column in (history.get("cashflow") or {}).values():
        assert len(column) == len(history["timestamp"])
