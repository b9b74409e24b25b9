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

Deterministic (derandomized) for CI. A deeper search, new examples every run:
TICKET_PROPERTY_EXAMPLES=5000 TICKET_PROPERTY_RANDOM=1 pytest tests/test_ticket_properties.py
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import fields
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache

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
    AssetFacts,
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
from tui.sessions import Session, read_calendar, session_at

D = Decimal

settings.register_profile(
    "ticket-properties",
    max_examples=int(os.environ.get("TICKET_PROPERTY_EXAMPLES", "300")),
    # the same examples on every run, so CI never flakes on a new draw (TICKET_PROPERTY_RANDOM=1: explore)
    derandomize=not os.environ.get("TICKET_PROPERTY_RANDOM"),
    database=None,  # nothing written into the work tree
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
PROFILE = settings.get_profile("ticket-properties")

FORM_FIELDS = {f.name for f in fields(TicketForm)}

# ---- what a trader types ----------------------------------------------------------------------

GOOD_SYMBOLS = ("AAPL", "aapl", " msft ", "BRK.B", "brk.a", "BTC/USD", "GME", "X1", "SPY", "F")
GOOD_SIDES = ("buy", "sell", "BUY", " Sell ")
GOOD_TYPES = ("market", "limit", "stop", "stop_limit", "trailing_stop", "LIMIT", " Stop_Limit ")
GOOD_TIFS = ("day", "gtc", "opg", "cls", "ioc", "fok", "DAY", " gtc ")
GOOD_QTY = ("1", "10", "100", "0.5", "1,000", "3.0", " 7 ", "0.123456789", "2.5", "+2", ".5", "12,345.5")
GOOD_NOTIONAL = ("1", "500", "$1,250.50", "$ 7.5", "99.99", "1.00", "$20")
GOOD_PRICES = ("0.5", "0.1234", "0.0001", "1", "1.01", "5", "9.99", "10", "99.99", "100", "101.5", "190.12",
               "250", "$1,000", "$ 12.34", "1,234.56")
GOOD_TRAILS = ("1", "1.50", "0.25", "2%", "2.5 %", "0.5%", "99.9%", "10%", "$1")

# Spellings that must never turn into an order (or a crash).
HOSTILE = (
    "", " ", "\t", "nan", "NaN", "-nan", "sNaN", "snan", "inf", "-inf", "+Infinity", "Infinity", "∞",
    "1e3", "1E-2", "1e999999", "-1e-999999", "1_000", "1,00", "1,,000", ",100", "100,", "1,000.", "$", "$$5",
    "5$", "-$5", "$-5", "$ ", "10%", "%", "%5", "5%%", "１０", "١٠", "½", "²", "0x10", "0b1", "1.2.3", "--1",
    "+-1", ".", "-.", "0.", "-0", "0", "0.00", "-0.00", "-1", "-2.50", "9" * 40, "1" + "0" * 30,
    "0." + "0" * 40 + "1", "\t10\n", "\u00a010\u2003", "10\x00", "1 000", "1'000", "1.000,50", "€5", "5.",
    "0.001", "0.00001", "190.123", "0.12345", "1.005", "0.99", "99999999999.99", "999999999999.99",
    "1000000000000", "1000000000000.01", "999999999999.999999999", "123456789012.123456789",
    "1234567.123456789", "0.000000001", "0.0000000001", "100%", "0%", "-1%", "1e2%", "nan%",
    "1" * 29 + ".5", "0." + "1" * 35, "2." + "3" * 30 + "%",
)


# Numbers of any size and precision: (2, 20, 1000, 1e7 or 2e12) x (0 to 11 decimals).
SIGNED_DECIMALS = st.sampled_from([
    st.decimals(min_value=-top, max_value=top, places=places, allow_nan=False, allow_infinity=False)
    for top in (D(2), D(20), D(1000), D("1e7"), D("2e12")) for places in range(12)
]).flatmap(lambda strategy: strategy)


@st.composite
def number_text(draw: st.DrawFn) -> str:
    """A number spelled as a person (or a paste) might: any size, sign and decimals,
    sometimes grouped with commas, in exponent form, with '$' or padding."""
    value = draw(SIGNED_DECIMALS)
    style = draw(st.sampled_from(["plain", "plain", "grouped", "exponent", "repr"]))
    if style == "plain":
        text = format(value, "f")
    elif style == "grouped":
        text = format(value, ",f")
    elif style == "exponent":
        text = format(value, "e")
    else:
        text = str(value)  # Decimal's own spelling, e.g. 1E-7
    if draw(st.booleans()):
        text = draw(st.sampled_from(["$", "$ ", "+", " ", "\t", ""])) + text
    if draw(st.booleans()):
        text += draw(st.sampled_from(["", " ", "%", " %", "\n", "0", "."]))
    return text


NUMBERS = number_text()


def weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """One of the strategies, picked with the given weights. (st.one_of is no good here:
    Hypothesis soon exhausts a small pool and then leans on the branch with fresh values.)"""
    branches = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(branches).flatmap(lambda strategy: strategy)


@cache
def typed(good: tuple[str, ...], edge: tuple[str, ...] = (), good_weight: int = 3, number_weight: int = 1,
          ) -> st.SearchStrategy[str]:
    """A text field: good values often enough to reach the valid paths, else edge values,
    numbers of any shape, hostile spellings or any text."""
    return weighted((good_weight, st.sampled_from(good)), (3 if edge else 0, st.sampled_from(edge or ("",))),
                    (number_weight, NUMBERS), (1, st.sampled_from(HOSTILE)), (1, st.text(max_size=24)))


@cache
def chosen(good: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A choice field (side, type, tif): the UI offers only good values; check the rest anyway."""
    return weighted((4, st.sampled_from(good)), (1, st.text(max_size=12)))


@cache
def maybe(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """An optional field (bracket legs): usually blank."""
    return weighted((3, st.just("")), (1, strategy))


@st.composite
def forms(draw: st.DrawFn) -> TicketForm:
    """A ticket: a share quantity or a dollar amount (sometimes both or neither), prices
    that the order type may or may not need, optional legs, any flags."""
    size = draw(st.sampled_from(["qty"] * 6 + ["notional"] * 2 + ["both", "neither"]))
    return TicketForm(
        symbol=draw(typed(GOOD_SYMBOLS)),
        side=draw(chosen(GOOD_SIDES)),
        qty=draw(typed(GOOD_QTY)) if size in ("qty", "both") else draw(st.sampled_from(["", "", " "])),
        notional=draw(typed(GOOD_NOTIONAL)) if size in ("notional", "both") else "",
        order_type=draw(chosen(GOOD_TYPES)),
        limit_price=draw(typed(GOOD_PRICES)),
        stop_price=draw(typed(GOOD_PRICES)),
        trail=draw(typed(GOOD_TRAILS)),
        tif=draw(chosen(GOOD_TIFS)),
        extended_hours=draw(st.sampled_from([False, False, True])),
        take_profit=draw(maybe(typed(GOOD_PRICES))),
        stop_loss=draw(maybe(typed(GOOD_PRICES))),
    )


# Values at the edges of the rules, for the plausible tickets below.
EDGE_QTY = ("0", "0.000000001", "0.0000000001", "-1", "1e3", "1000000000000", "1,000,000,000,000.5")
EDGE_NOTIONAL = ("0.99", "1.001", "0", "$0.5", "1000000000000.01")
EDGE_PRICES = ("0", "0.00001", "0.9999", "0.99999", "1.001", "190.125", "-1", "1e2", "0.01", "999999999999.99")
EDGE_TRAILS = ("100%", "100.00%", "99.99%", "0%", "101%", "0.0001%", "1.001", "0.00001", "%", "$0.001")


# Each scenario, and the rules (from the doc) that a near miss of it may break.
NEAR_MISSES = {
    "market": ("tif", "edge", "edge", "short"),
    "limit": ("tif", "edge", "edge", "extended"),
    "stop": ("tif", "edge", "extended"),
    "stop_limit": ("tif", "edge", "extended"),
    "trailing_stop": ("tif", "edge", "edge", "legs", "size"),
    "fraction": ("tif", "legs", "type", "edge", "short"),
    "notional": ("tif", "legs", "type", "edge", "short"),
    "legs": ("tif", "type", "size", "extended", "edge", "sides"),
    "extended": ("tif", "type", "legs", "size"),
}
SCENARIOS = tuple(NEAR_MISSES)
ALL_TYPES = ("market", "limit", "stop", "stop_limit", "trailing_stop")
PRICES_FOR = {"limit": ("limit_price",), "stop": ("stop_price",), "stop_limit": ("limit_price", "stop_price"),
              "trailing_stop": ("trail",)}
WHOLE_QTY = ("1", "10", "100", "3.0", " 7 ", "1,000", "+2", "20")
FRACTIONAL_QTY = ("0.5", "0.123456789", "2.5", ".25", "1.5")
ANY_TIF = ("day", "gtc", "opg", "cls", "ioc", "fok", "GTC", " Day ")
HIGH_PRICES, LOW_PRICES = ("1000", "2,500", "999.99", "$500"), ("0.01", "0.5", "0.9999", "1")


@st.composite
def plausible_forms(draw: st.DrawFn, scenario: str | None = None) -> TicketForm:
    """A ticket filled in the way the UI is, in one of a few scenarios drawn evenly (each
    order type, a fraction, a dollar amount, a bracket, extended hours): the type's own
    price fields only and a TIF that suits.

    Half of them are near misses: every field good but one rule of the scenario broken (a
    misfit type, TIF, legs, extended hours, size, exits on the wrong side, a short sale, or
    one field at an edge value such as a 100% trail or a sub-penny price), which is how a
    missing rule in the validator would show. The other half are noisy: each text field
    good most of the time, else an edge value, a number of any shape, a hostile spelling or
    any text. About a third are valid orders."""
    scenario = scenario or draw(st.sampled_from(SCENARIOS))
    misfit = draw(st.sampled_from((None,) * len(NEAR_MISSES[scenario]) + NEAR_MISSES[scenario]))
    if scenario in ALL_TYPES:
        order_type = scenario
    elif scenario in ("extended", "notional"):
        order_type = "limit" if scenario == "extended" else "market"
    else:
        order_type = draw(st.sampled_from(("market", "market", "limit", "stop", "stop_limit")))
    size = {"fraction": "fraction", "notional": "notional"}.get(scenario, "whole")
    if misfit == "type":
        order_type = draw(st.sampled_from(ALL_TYPES))
    if misfit == "size":
        size = draw(st.sampled_from([other for other in ("whole", "fraction", "notional") if other != size]))
    legs = scenario == "legs" or misfit == "legs" or (scenario == "extended" and draw(st.booleans()))
    extended = scenario == "extended" or misfit == "extended"

    if size != "whole":
        suits = ("day",)
    elif legs or extended or order_type in ("stop", "stop_limit", "trailing_stop"):
        suits = ("day", "gtc")
    else:
        suits = ("day", "gtc", "opg", "cls", "ioc", "fok")
    unsuited = tuple(tif for tif in ANY_TIF if tif.strip().lower() not in suits) or ANY_TIF
    tif = draw(st.sampled_from(unsuited if misfit == "tif" else suits + (suits[0].upper(),)))

    side = draw(st.sampled_from(["sell", " Sell "] if misfit == "short" else ["buy", "buy", "sell", "BUY", " Sell "]))
    high, low = (HIGH_PRICES, LOW_PRICES) if side.strip().lower() == "buy" else (LOW_PRICES, HIGH_PRICES)
    if misfit == "sides":
        high, low = low, high
    # exits usually on the right side of any entry, sometimes anywhere
    profit_prices = draw(st.sampled_from([high, high, GOOD_PRICES]))
    loss_prices = draw(st.sampled_from([low, low, GOOD_PRICES]))
    leg_fields = draw(st.sampled_from([("take_profit", "stop_loss")] * 2 + [("take_profit",), ("stop_loss",)]))
    pools = {  # field: (good values, edge values)
        "qty": (WHOLE_QTY if size == "whole" else FRACTIONAL_QTY, EDGE_QTY),
        "notional": (GOOD_NOTIONAL, EDGE_NOTIONAL),
        "limit_price": (GOOD_PRICES, EDGE_PRICES),
        "stop_price": (GOOD_PRICES, EDGE_PRICES),
        "trail": (GOOD_TRAILS, EDGE_TRAILS),
        "take_profit": (profit_prices, EDGE_PRICES),
        "stop_loss": (loss_prices, EDGE_PRICES),
    }
    present = ["notional" if size == "notional" else "qty", *PRICES_FOR.get(order_type, ()),
               *(leg_fields if legs else ())]
    at_edge = draw(st.sampled_from(present)) if misfit == "edge" else None

    def text(name: str) -> str:
        if name not in present:
            return ""
        good, edge = pools[name]
        if misfit is None:
            return draw(typed(good, edge, good_weight=30, number_weight=3))
        return draw(st.sampled_from(edge if name == at_edge else good))

    return TicketForm(
        symbol=draw(typed(GOOD_SYMBOLS, good_weight=30, number_weight=0)) if misfit is None else
        draw(st.sampled_from(GOOD_SYMBOLS)),
        side=side,
        qty=text("qty"),
        notional=text("notional"),
        order_type=draw(st.sampled_from([order_type, order_type.upper(), f" {order_type.title()} "])),
        limit_price=text("limit_price"),
        stop_price=text("stop_price"),
        trail=text("trail"),
        tif=tif,
        extended_hours=extended,
        take_profit=text("take_profit"),
        stop_loss=text("stop_loss"),
    )


likely_true = st.sampled_from([True, True, True, False])
asset_symbols = st.sampled_from(["typed", "typed", "typed", "lowercase", "other", "text"])
other_symbols = weighted((3, st.sampled_from(GOOD_SYMBOLS)), (1, st.text(max_size=8)))


@st.composite
def assets(draw: st.DrawFn, form: TicketForm) -> AssetFacts | None:
    """None (not looked up yet), or facts: usually about this symbol, sometimes about another."""
    if draw(st.sampled_from([True, False, False])):
        return None
    kind = draw(asset_symbols)
    symbol = {"typed": form.symbol, "lowercase": form.symbol.strip().lower()}.get(kind) or draw(other_symbols)
    return AssetFacts(symbol, draw(likely_true), draw(likely_true), draw(likely_true), draw(likely_true))


# Positions as the app passes them (finite Decimals, signed: short is negative); often none.
positions = weighted(
    (6, st.just(D(0))),
    (3, st.sampled_from([D(10), D(-10), D("0.5"), D(1000), D("-0.5"), D(1), D(-1), D(100), D(-100)])),
    *[(1, st.decimals(min_value=D("-1e6"), max_value=D("1e6"), places=places, allow_nan=False, allow_infinity=False))
      for places in (0, 4, 9)],
    (1, st.integers(-(10**13), 10**13).map(D)),
)

# Open orders holding shares of a position, named as the app names them (or anyhow).
order_names = weighted((3, st.sampled_from(["SELL 10 AAPL lmt 250.00 (id 1a2b3c4d)", "BUY 5 TSLA stp 1.50",
                                            "SELL 1 X mkt"])), (1, st.text(max_size=40)))


@st.composite
def held_positions(draw: st.DrawFn) -> Holding:
    """A position as the server reports it: qty, and qty_available = |qty| less what the open
    orders on the closing side have left to fill (never below 0), with qty's sign."""
    position = draw(positions)
    remaining = draw(st.lists(weighted((3, st.sampled_from([D(1), D(5), D(10), D("0.5"), D(25)])),
                                       (1, st.decimals(min_value=D(0), max_value=D("1e6"), places=3,
                                                       allow_nan=False, allow_infinity=False))), max_size=4))
    available = max(abs(position) - sum(remaining, D(0)), D(0))
    sign = -1 if position < 0 and draw(st.booleans()) else 1  # Alpaca signs it like qty; either reads
    names = tuple(draw(order_names) for _ in remaining)
    return Holding(position, sign * available, names)


# Holdings as callers pass them: a bare position (older callers), or a Holding.
holdings = weighted((2, positions), (3, held_positions()))
# ... and figures no server should send, which must not make anything raise.
junk = st.sampled_from([None, D("NaN"), D("sNaN"), D("Infinity"), D("-Infinity"), D("1e400"), D("-1e400"),
                        D("1e999999999"), float("nan"), float("inf"), "abc", "", True, D("1e-999999")])
any_holdings = weighted((4, holdings), (1, st.builds(Holding, weighted((1, junk), (1, positions)),
                                                     weighted((1, junk), (1, positions)),
                                                     st.lists(order_names, max_size=5).map(tuple))))


def holding_truth(holding: Decimal | Holding) -> tuple[Decimal, Decimal]:
    """(signed position, shares an order may close) as generated above."""
    if isinstance(holding, Holding):
        return holding.qty, abs(holding.available)
    return holding, abs(holding)


# Quote prices: missing, zero (no bid or ask), odd (negative), sub-penny, large, and no number at all.
quote_prices = weighted(
    (2, st.none()),
    (1, st.just(D(0))),
    (4, st.decimals(min_value=D("-5"), max_value=D("1000"), places=4, allow_nan=False, allow_infinity=False)),
    (1, st.decimals(min_value=D("1000"), max_value=D("1e12"), places=2, allow_nan=False, allow_infinity=False)),
    (1, junk),
    (1, st.decimals(min_value=D("1e-40"), max_value=D("1e-20"), allow_nan=False, allow_infinity=False)),
)
NOW = datetime(2026, 11, 27, 14, 0, tzinfo=timezone.utc)
times = weighted(
    (3, st.datetimes(min_value=datetime(2026, 11, 20), max_value=datetime(2026, 12, 5), timezones=st.just(timezone.utc))),
    (1, st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))),  # naive, any year
    (1, st.sampled_from([None, "2026-11-27T14:00:00Z", "garbage", 0])),
)
quotes = weighted((1, st.none()), (4, st.builds(Quote, quote_prices, quote_prices, quote_prices, times)))
# Thanksgiving week 2026 with its early close; sessions at any moment of it, or made up.
CALENDAR = read_calendar([{"date": f"2026-11-{day}", "open": "09:30", "close": "13:00" if day == 27 else "16:00"}
                          for day in (23, 24, 25, 27, 30)])
sessions = weighted(
    (1, st.none()),
    (3, times.map(lambda now: session_at(now, CALENDAR) if isinstance(now, datetime) else None)),
    (1, st.builds(Session, st.sampled_from(["pre-market", "regular", "after-hours", "closed"]),
                  st.none() | st.datetimes(timezones=st.just(timezone.utc)),
                  st.sampled_from([None, "pre-market", "regular", "after-hours"]),
                  st.none() | st.datetimes(timezones=st.just(timezone.utc)),
                  st.none() | st.datetimes(timezones=st.just(timezone.utc)))),
)
money = st.decimals(min_value=D("-1e9"), max_value=D("1e12"), places=2, allow_nan=False, allow_infinity=False)
review_facts = st.builds(
    ReviewFacts,
    buying_power=weighted((6, money), (1, junk)),
    last_equity=weighted((6, money), (1, junk)),
    position_qty=positions,
    market_open=st.booleans(),
    live=st.booleans(),
    legacy_pdt=st.booleans(),
    daytrade_count=st.integers(0, 50),
    would_day_trade=st.booleans(),
    holding=st.none() | any_holdings,
    session=sessions,
)
client_order_ids = st.uuids().map(lambda u: f"tui-{u.hex}")  # what the app sends


@st.composite
def tickets(draw: st.DrawFn, plausible: bool = False, scenario: str | None = None, hostile: bool = False,
            ) -> tuple[TicketForm, AssetFacts | None, Decimal | Holding]:
    """(form, asset facts, holding): any form, or (plausible=True) UI-shaped ones; a holding
    as the server reports it, or (hostile=True) sometimes one no server would send."""
    form = draw(plausible_forms(scenario) if plausible else st.one_of(forms(), plausible_forms()))
    return form, draw(assets(form)), draw(any_holdings if hostile else holdings)


# ---- Alpaca's rules, from its documentation (independent of the module) ----------------------

SYMBOL = re.compile(r"[A-Z0-9][A-Z0-9./]*", re.ASCII)
ENTRY_PRICES = {
    "market": set(),
    "limit": {"limit_price"},
    "stop": {"stop_price"},
    "stop_limit": {"stop_price", "limit_price"},
    "trailing_stop": {"trail"},
}
ALL_TIFS = {"day", "gtc", "opg", "cls", "ioc", "fok"}


def decimal_places(value: Decimal) -> int:
    """Decimals of an exact value, trailing zeros ignored (no context rounding involved)."""
    sign, digits, exponent = value.as_tuple()
    digits = list(digits)
    while exponent < 0 and digits and digits[-1] == 0:
        digits.pop()
        exponent += 1
    return max(0, -exponent)


def sub_penny(price: Decimal) -> bool:
    """Alpaca: at most 2 decimals at $1 and above, 4 below, else 422 'sub-penny increment'."""
    return decimal_places(price) > (2 if price >= 1 else 4)


def as_typed(text: str, dollars: bool = False) -> Decimal:
    """The number a person meant by `text`: padding, a leading '$' and thousands commas dropped."""
    text = text.strip()
    if dollars and text.startswith("$"):
        text = text[1:].strip()
    return Decimal(text.replace(",", ""))


def alpaca_problems(plan: OrderPlan, form: TicketForm, asset: AssetFacts | None, holding: Decimal | Holding,
                    ) -> list[str]:
    """Every reason Alpaca would refuse `plan`, or why it is not the order the form asked for."""
    problems: list[str] = []
    position, available = holding_truth(holding)

    def need(ok: bool, why: str) -> None:
        if not ok:
            problems.append(why)

    # what was asked for
    need(plan.symbol == form.symbol.strip().upper(), f"symbol {plan.symbol!r} is not what was typed")
    need(bool(SYMBOL.fullmatch(plan.symbol)), f"symbol {plan.symbol!r} is not a ticker")
    need(plan.side in ("buy", "sell") and plan.side == form.side.strip().lower(), f"side {plan.side!r}")
    need(plan.order_type in ENTRY_PRICES and plan.order_type == form.order_type.strip().lower(),
         f"type {plan.order_type!r}")
    need(plan.tif in ALL_TIFS and plan.tif == form.tif.strip().lower(), f"time in force {plan.tif!r}")
    need(plan.extended_hours is bool(form.extended_hours), "extended_hours differs from the form")

    # size: qty > 0 or notional >= $1, never both
    need((plan.qty is None) != (plan.notional is None), "exactly one of qty and notional")
    fractional = plan.notional is not None
    if plan.qty is not None:
        need(plan.qty.is_finite() and plan.qty > 0, f"qty {plan.qty} must be > 0")
        need(decimal_places(plan.qty) <= 9, f"qty {plan.qty}: more than 9 decimals")
        need(plan.qty == as_typed(form.qty), f"qty {plan.qty} is not the {form.qty!r} typed")
        fractional = plan.qty != int(plan.qty)
    if plan.notional is not None:
        need(plan.notional.is_finite() and plan.notional >= 1, f"notional {plan.notional} below $1")
        need(decimal_places(plan.notional) <= 2, f"notional {plan.notional}: more than cents")
        need(plan.notional == as_typed(form.notional, dollars=True), f"notional {plan.notional} is not what was typed")
        need(plan.order_type == "market", "notional needs a market order")

    # fractional orders: DAY, simple, no trailing stop
    if fractional:
        need(plan.tif == "day", "fractional orders must be DAY orders")
        need(plan.take_profit is None and plan.stop_loss is None, "fractional orders must be simple")
        need(plan.order_type != "trailing_stop", "fractional trailing stop")

    # prices: exactly the ones the type uses, each > 0 and not sub-penny
    trail = plan.trail_price if plan.trail_price is not None else plan.trail_percent
    present = {name for name, value in [("limit_price", plan.limit_price), ("stop_price", plan.stop_price),
                                        ("trail", trail)] if value is not None}
    need(present == ENTRY_PRICES[plan.order_type], f"{plan.order_type} order with prices {sorted(present)}")
    need(plan.trail_price is None or plan.trail_percent is None, "both trail_price and trail_percent")
    for name in ("limit_price", "stop_price", "trail_price", "take_profit", "stop_loss"):
        price = getattr(plan, name)
        if price is not None:
            need(price.is_finite() and price > 0, f"{name} {price} must be > 0")
            need(not sub_penny(price), f"{name} {price} is a sub-penny price")
    if plan.trail_percent is not None:
        need(plan.trail_percent.is_finite() and 0 < plan.trail_percent < 100, f"trail percent {plan.trail_percent}")
    for name, text in [("limit_price", form.limit_price), ("stop_price", form.stop_price), ("trail_price", form.trail),
                       ("take_profit", form.take_profit), ("stop_loss", form.stop_loss)]:
        if getattr(plan, name) is not None:
            need(getattr(plan, name) == as_typed(text, dollars=True), f"{name} is not the {text!r} typed")
    if plan.trail_percent is not None:
        need(plan.trail_percent == as_typed(form.trail.strip().removesuffix("%")),
             f"trail is not the {form.trail!r} typed")

    # time in force per type
    if plan.order_type in ("stop", "stop_limit", "trailing_stop"):
        need(plan.tif in ("day", "gtc"), f"{plan.order_type} orders must be DAY or GTC")
    if plan.extended_hours:
        need(plan.order_type == "limit" and plan.tif in ("day", "gtc"), "extended hours needs a DAY/GTC limit")
        need(plan.take_profit is None and plan.stop_loss is None, "extended hours with legs")

    # bracket / OTO legs: DAY or GTC, not on a trailing stop, exits on the right side of the entry
    need((plan.take_profit is None) == (not form.take_profit.strip()), "take-profit differs from the form")
    need((plan.stop_loss is None) == (not form.stop_loss.strip()), "stop-loss differs from the form")
    legs = [leg for leg in (plan.take_profit, plan.stop_loss) if leg is not None]
    if legs:
        need(plan.tif in ("day", "gtc"), "legs need DAY or GTC")
        need(plan.order_type != "trailing_stop", "trailing stop with legs")
        buying = plan.side == "buy"
        entry = plan.limit_price if plan.order_type in ("limit", "stop_limit") else plan.stop_price
        tp, sl = plan.take_profit, plan.stop_loss
        if tp is not None and sl is not None:
            need(tp > sl if buying else tp < sl, f"take-profit {tp}, stop-loss {sl}: wrong sides for a {plan.side}")
        if entry is not None:
            cent = D("0.01")
            if tp is not None:
                need(tp >= entry + cent if buying else tp <= entry - cent, f"take-profit {tp} vs entry {entry}")
            if sl is not None:
                need(sl <= entry - cent if buying else sl >= entry + cent, f"stop-loss {sl} vs entry {entry}")

    # the asset (facts only count when they describe this symbol)
    if asset is not None and asset.symbol.strip().upper() == plan.symbol:
        need(asset.tradable, "asset is not tradable")
        if fractional:
            need(asset.fractionable, "asset is not fractionable")
        if plan.side == "sell" and position <= 0:
            need(asset.shortable and asset.easy_to_borrow, "asset cannot be sold short")

    # shorts and flips: one order may not flip long to short or back, nor close shares that
    # open orders hold: Alpaca refuses it with "insufficient qty available for order"
    if plan.side == "sell" and position <= 0:
        need(plan.notional is None and not fractional, "a short sale must be whole shares")
    closes = (plan.side == "sell" and position > 0) or (plan.side == "buy" and position < 0)
    if closes and plan.qty is not None:
        need(plan.qty <= abs(position), f"{plan.side} {plan.qty} against {position} flips the position")
        need(plan.qty <= available, f"{plan.side} {plan.qty} with only {available} of {position} available")
    if closes and plan.notional is not None:
        need(available > 0, f"a dollar amount against {position} with none available")
    return problems


def wire_body(plan: OrderPlan, client_order_id: str) -> dict:
    """The JSON body alpaca-py would POST (submit_order -> to_request_fields -> json), with
    numbers read back exactly as the server reads them."""
    request = plan.to_request(client_order_id)
    return json.loads(json.dumps(request.to_request_fields()), parse_float=Decimal, parse_int=Decimal)


def shown(value: str) -> Decimal:
    """A number as the review screen shows it: '$1,234.50', '1,000', '2.5%'."""
    return Decimal(value.replace("$", "").replace(",", "").removesuffix("%"))


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
@settings(PROFILE, max_examples=max(1, PROFILE.max_examples // 8))  # ~300 plans across the scenarios
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
