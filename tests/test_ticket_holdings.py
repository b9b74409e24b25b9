"""The order ticket (tui/broker/ticket.py) against the asset and the position: shorting,
flips, shares held by open orders (qty_available, as the simulator checks it); and
robustness: random forms never raise, the module's layering, ASCII digits only."""

from __future__ import annotations

import random
import subprocess
import sys
from types import SimpleNamespace

import pytest

from tui.broker.ticket import (
    ORDER_TYPES,
    SIDES,
    TIFS,
    AssetFacts,
    Holding,
    OrderPlan,
    Quote,
    ReviewFacts,
    TicketForm,
    hold_text,
    holding_of,
    review,
    validate,
)
from tui.sim.requests import parse_order

from .test_ticket import D, errors_of, form, plan_of, sent_body
from .test_ticket_review import QUOTE

# ---- the asset and the position -------------------------------------------------------------


def test_untradable_asset():
    assert errors_of(form(symbol="FNMA"), AssetFacts("FNMA", tradable=False))["symbol"] == "FNMA is not tradable"


def test_facts_about_another_symbol_are_ignored():
    assert isinstance(validate(form(symbol="AAPL"), AssetFacts("FNMA", tradable=False)), OrderPlan)


@pytest.mark.parametrize("facts", [AssetFacts("GME", shortable=False), AssetFacts("GME", easy_to_borrow=False)])
@pytest.mark.parametrize("position", [D(0), D(-5)])
def test_no_short_sale_of_hard_to_borrow(facts, position):
    errors = errors_of(form(symbol="GME", side="sell"), facts, position)
    assert errors["qty"] == "GME cannot be sold short"


def test_short_sale_of_easy_to_borrow_is_fine():
    assert isinstance(validate(form(symbol="GME", side="sell"), AssetFacts("GME"), D(0)), OrderPlan)


def test_selling_what_you_hold_needs_no_short():
    plan = validate(form(symbol="GME", side="sell", qty="10"), AssetFacts("GME", shortable=False), D(10))
    assert isinstance(plan, OrderPlan)


@pytest.mark.parametrize("qty, ok", [("10", True), ("4", True), ("11", False), ("10.5", False)])
def test_no_flip_from_long_to_short(qty, ok):
    result = validate(form(side="sell", qty=qty), None, D(10))
    if ok:
        assert isinstance(result, OrderPlan)
    else:
        assert result["qty"] == "you hold 10: sell at most 10, then sell short separately"


@pytest.mark.parametrize("qty, ok", [("5", True), ("2", True), ("6", False)])
def test_no_flip_from_short_to_long(qty, ok):
    result = validate(form(side="buy", qty=qty), None, D(-5))
    if ok:
        assert isinstance(result, OrderPlan)
    else:
        assert result["qty"] == "you are short 5: buy at most 5 to cover, then buy separately"


def test_fractional_shares_cannot_be_sold_short():
    assert errors_of(form(side="sell", qty="0.5"), None, D(0))["qty"] == "fractional shares cannot be sold short"
    assert errors_of(form(side="sell", qty="", notional="50"), None, D(0))["notional"] == (
        "a dollar amount cannot be sold short: enter whole shares"
    )
    assert isinstance(validate(form(side="sell", qty="0.5"), None, D("0.5")), OrderPlan)
    assert isinstance(validate(form(side="sell", qty="", notional="50"), None, D(3)), OrderPlan)


def test_every_error_is_reported_at_once():
    errors = errors_of(
        TicketForm(symbol="", side="buy", qty="abc", order_type="limit", limit_price="1.001", tif="forever",
                   extended_hours=True, take_profit="x", stop_loss="-1")
    )
    assert set(errors) == {"symbol", "qty", "limit_price", "tif", "extended_hours", "take_profit", "stop_loss"}


# ---- shares held by open orders (qty_available) -----------------------------------------------

RESTING = "SELL 10 AAPL lmt 250.00 (id 1a2b3c4d)"
HELD_LONG = Holding(D(30), D(20), (RESTING,))


def test_a_sell_is_checked_against_the_shares_not_held_by_open_orders():
    errors = errors_of(form(side="sell", qty="25"), None, HELD_LONG)
    assert errors == {"qty": f"you hold 30, 10 held by open orders ({RESTING}): sell at most 20, or cancel those first"}
    assert plan_of(HELD_LONG, side="sell", qty="20").qty == D(20)


def test_every_share_held():
    errors = errors_of(form(side="sell", qty="1"), None, Holding(D(30), D(0), (RESTING, "SELL 20 AAPL stp 200.00")))
    assert errors["qty"] == (f"you hold 30, all held by open orders ({RESTING}; SELL 20 AAPL stp 200.00): "
                             "cancel those first")
    # a dollar amount is some shares, so it is refused too
    assert errors_of(form(side="sell", qty="", notional="100"), None, Holding(D(30), D(0)))["notional"] == (
        "you hold 30, all held by open orders: cancel those first")


def test_held_shares_without_names_and_many_names():
    assert errors_of(form(side="sell", qty="25"), None, Holding(D(30), D(20)))["qty"] == (
        "you hold 30, 10 held by open orders: sell at most 20, or cancel those first")
    many = Holding(D(30), D(20), tuple(f"SELL 2 AAPL lmt {p}.00" for p in range(250, 255)))
    assert "(SELL 2 AAPL lmt 250.00; SELL 2 AAPL lmt 251.00; SELL 2 AAPL lmt 252.00 and 2 more)" in (
        errors_of(form(side="sell", qty="25"), None, many)["qty"])


def test_order_names_from_outside_stay_on_one_line():
    message = errors_of(form(side="sell", qty="25"), None, Holding(D(30), D(20), ("SELL\n10\x1b[31m AAPL",)))["qty"]
    assert "\n" not in message and "\x1b" not in message and "SELL 10 AAPL" in message


def test_buy_to_cover_is_checked_against_the_shares_not_held_by_open_orders():
    short = Holding(D(-30), D(-20), ("BUY 10 AAPL lmt 240.00",))
    assert errors_of(form(qty="25"), None, short)["qty"] == (
        "you are short 30, 10 held by open orders (BUY 10 AAPL lmt 240.00): buy at most 20 to cover, "
        "or cancel those first")
    assert plan_of(short, qty="20").qty == D(20)
    # qty_available of either sign means the same shares
    assert errors_of(form(qty="25"), None, Holding(D(-30), D(20)))["qty"].startswith("you are short 30, 10 held")


def test_without_held_shares_the_messages_are_as_before():
    assert errors_of(form(side="sell", qty="31"), None, Holding(D(30), D(30)))["qty"] == (
        "you hold 30: sell at most 30, then sell short separately")
    assert errors_of(form(qty="31"), None, Holding(D(-30)))["qty"] == (
        "you are short 30: buy at most 30 to cover, then buy separately")


def test_opening_a_short_from_zero_is_unchanged():
    assert plan_of(Holding(D(0), D(0)), side="sell", qty="10").side == "sell"
    assert errors_of(form(side="sell", qty="10"), AssetFacts("AAPL", shortable=False), Holding())["qty"] == (
        "AAPL cannot be sold short")
    # buying more of a long, or shorting more of a short, is not limited by held shares
    assert plan_of(Holding(D(30), D(0)), qty="100").qty == D(100)
    assert plan_of(Holding(D(-30), D(0)), side="sell", qty="100").qty == D(100)


@pytest.mark.parametrize("qty, available", [("nan", "5"), ("inf", None), ("1e400", "1"), (None, "abc"),
                                            ("30", "nan"), ("30", "1e400"), ("30", "-1e400")])
def test_unreadable_holdings_never_raise(qty, available):
    result = validate(form(side="sell", qty="5"), None, Holding(qty, available, ("x",)))
    assert isinstance(result, (OrderPlan, dict))


def test_an_available_qty_above_the_position_counts_as_the_position():
    assert errors_of(form(side="sell", qty="31"), None, Holding(D(30), D(99)))["qty"] == (
        "you hold 30: sell at most 30, then sell short separately")


def test_review_checks_the_holding_as_it_is_now():
    facts = ReviewFacts(buying_power=D("1e6"), last_equity=D("50000"), holding=HELD_LONG)
    result = review(plan_of(D(30), side="sell", qty="25"), QUOTE, facts)  # checked before the order rested
    assert (f"you hold 30, 10 held by open orders ({RESTING}): sell at most 20, or cancel those first"
            in result.warnings)
    assert result.buying_power_after == D("1e6")  # closing shares use no buying power
    assert review(plan_of(HELD_LONG, side="sell", qty="20"), QUOTE, facts).warnings == []


def test_review_sizes_a_dollar_amount_at_the_quote():
    facts = ReviewFacts(buying_power=D("1e6"), last_equity=D("50000"), holding=HELD_LONG)
    over = review(plan_of(HELD_LONG, side="sell", qty="", notional="2500"), QUOTE, facts)  # 25.25 shares at 99
    assert ("$2,500.00 is about 25.25 shares: you hold 30, 10 held by open orders "
            f"({RESTING}): sell at most 20, or cancel those first") in over.warnings
    within = review(plan_of(HELD_LONG, side="sell", qty="", notional="1900"), QUOTE, facts)
    assert within.warnings == []


def sample_exchange():
    from tui.sim.engine import EngineOptions, Exchange

    return Exchange(EngineOptions(portfolio="sample", prices="static", seed=1))  # NVDA 100 long, TSLA 15 short


def test_what_passes_here_passes_the_simulators_qty_check():
    """Holdings read from the simulator's positions and open orders (as alpaca-py models):
    every quantity the ticket accepts, the simulator accepts, and the other way round."""
    from alpaca.trading.models import Order, Position

    from tui.sim.errors import ApiError

    exchange = sample_exchange()
    resting = [{"symbol": "NVDA", "side": "sell", "type": "limit", "time_in_force": "gtc", "qty": "25",
                "limit_price": "999"},
               {"symbol": "NVDA", "side": "sell", "type": "stop", "time_in_force": "day", "qty": "10",
                "stop_price": "1.5"},
               {"symbol": "TSLA", "side": "buy", "type": "limit", "time_in_force": "gtc", "qty": "4",
                "limit_price": "0.01"}]
    orders = [Order(**exchange.submit(parse_order(body)).to_json()) for body in resting]
    positions = {p["symbol"]: Position(**p) for p in exchange.list_positions()}
    for symbol, side, price in [("NVDA", "sell", "9999"), ("TSLA", "buy", "0.01"), ("AAPL", "sell", "9999")]:
        holding = holding_of(positions[symbol], orders)
        for qty in range(1, int(abs(holding.position)) + 3):
            ticket = form(symbol=symbol, side=side, qty=str(qty), order_type="limit", limit_price=price, tif="gtc")
            ours = validate(ticket, None, holding)
            body = {"symbol": symbol, "side": side, "type": "limit", "time_in_force": "gtc", "qty": str(qty),
                    "limit_price": price}
            if isinstance(ours, OrderPlan):
                body = sent_body(ours, f"cid-{symbol}-{qty}")
            try:
                exchange.cancel(exchange.submit(parse_order(body)).id)  # asked, then gone: the next ask sees the same book
                theirs = None
            except ApiError as err:
                theirs = err
            assert isinstance(ours, OrderPlan) == (theirs is None), (symbol, qty, ours, theirs)
            if theirs is not None:
                assert "insufficient qty" in str(theirs.message)
    nvda = holding_of(positions["NVDA"], orders)
    assert (nvda.free, nvda.held) == (D(65), D(35))
    assert nvda.held_by[0].startswith("SELL 25 NVDA lmt 999.00 (id ") and nvda.held_by[1].startswith("SELL 10 NVDA stp 1.50")
    assert holding_of(positions["TSLA"], orders).held_by[0].startswith("BUY 4 TSLA lmt 0.01 (id ")


def test_holding_of_without_qty_available_counts_the_open_orders():
    position = SimpleNamespace(symbol="AAPL", qty="30", qty_available=None)
    orders = [SimpleNamespace(symbol="AAPL", side="sell", qty="10", filled_qty="4", order_type="limit",
                              limit_price="250", status="partially_filled", id="1a2b3c4d-0000"),
              SimpleNamespace(symbol="AAPL", side="sell", qty="5", status="held", order_type="stop"),  # a bracket leg
              SimpleNamespace(symbol="AAPL", side="buy", qty="5", status="new", order_type="market"),
              SimpleNamespace(symbol="MSFT", side="sell", qty="5", status="new", order_type="market")]
    holding = holding_of(position, orders)
    assert (holding.position, holding.free, holding.held_by) == (D(30), D(24), ("SELL 6 AAPL lmt 250.00 (id 1a2b3c4d)",))
    assert holding_of(None, orders) == Holding()


def test_hold_text_of_odd_orders():
    assert hold_text(SimpleNamespace(side="sell", qty="nan", symbol="AAPL", order_type="market")) == "SELL AAPL mkt"
    assert hold_text(SimpleNamespace()) == ""


# ---- robustness and layering ----------------------------------------------------------------

GOOD = {"symbol": ["AAPL", " aapl ", "BRK.A", "BTC/USD", "GME"], "qty": ["10", "1", "0.5", "1,000", " 7 ", "3.0"],
        "notional": ["500", "$1,250.50", "1"], "price": ["10", "190.12", "0.1234", "$1,000", "250", "5", "0.5"],
        "trail": ["1.50", "2%", "2.5 %", "0.5"]}
BAD = {"symbol": ["", "AA PL", "$X"], "qty": ["abc", "-1", "0", "nan", "1e3", "0.1234567891", "9" * 30],
       "notional": ["0.5", "10.001", "inf", "-5"], "price": ["190.123", "0.12345", "0", "-2", "x", "1e2"],
       "trail": ["100%", "0%", "%", "abc", "1.001"]}


def pick(rng: random.Random, kind: str, blank: float = 0.0) -> str:
    """Mostly good values, sometimes bad or blank ones."""
    roll = rng.random()
    if roll < blank:
        return ""
    return rng.choice(GOOD[kind] if roll < blank + (1 - blank) * 0.8 else BAD[kind])


def random_form(rng: random.Random) -> TicketForm:
    use_notional = rng.random() < 0.2
    return TicketForm(
        symbol=pick(rng, "symbol"),
        side=rng.choice([*SIDES, *SIDES, "hold", "SELL"]),
        qty="" if use_notional and rng.random() < 0.9 else pick(rng, "qty", blank=0.05),
        notional=pick(rng, "notional") if use_notional else "",
        order_type=rng.choice([*ORDER_TYPES, *ORDER_TYPES, "iceberg"]),
        limit_price=pick(rng, "price", blank=0.1),
        stop_price=pick(rng, "price", blank=0.1),
        trail=pick(rng, "trail", blank=0.1),
        tif=rng.choice([*TIFS, "day", "day", "gtc", "forever"]),
        extended_hours=rng.random() < 0.2,
        take_profit=pick(rng, "price", blank=0.7),
        stop_loss=pick(rng, "price", blank=0.7),
    )


def test_random_forms_never_raise_and_plans_always_send():
    rng = random.Random(0)
    plans = 0
    for i in range(800):
        ticket = random_form(rng)
        asset = rng.choice([None, AssetFacts("AAPL"), AssetFacts("BRK.A", fractionable=False),
                            AssetFacts("GME", shortable=False), AssetFacts("AAPL", tradable=False)])
        position = D(rng.choice(["0", "0", "10", "-10", "0.5"]))
        result = validate(ticket, asset, position)
        assert isinstance(result, (OrderPlan, dict))
        if isinstance(result, dict):
            assert result and all(isinstance(v, str) and v for v in result.values())
            assert set(result) <= set(TicketForm.__dataclass_fields__)
            continue
        plans += 1
        result.to_request(f"fuzz-{i}")
        parse_order(sent_body(result, f"fuzz-{i}"))  # the simulator's parameter checks agree
        result.rows()
        quote = rng.choice([None, QUOTE, Quote(None, None, D(5))])
        review(result, quote, ReviewFacts(buying_power=D(1000), last_equity=D(1000), position_qty=position))
    assert plans > 20  # the pools are rich enough to exercise the plan side too


def test_ticket_imports_neither_textual_nor_the_simulator():
    code = (
        "import sys, tui.broker.ticket;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'textual' or m.startswith('tui.sim'));"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_only_ascii_digits_are_numbers():
    """Decimal reads "٣" (an Arabic-Indic three) as 3: typed, it would send an order the
    screen did not show as typed."""
    from tui.broker.ticket import parse_positive

    assert parse_positive("٣", "quantity") == (None, "not a number: '٣'")
    assert parse_positive("3", "quantity")[0] == 3
