"""What a trader types into the order ticket, and what the server says about the symbol,
the position, the quote and the session, as Hypothesis strategies for
test_ticket_properties.py: the values a trader types mixed with hostile text (unicode,
whitespace, NaN and infinity spellings, exponents, commas, '$', sub-penny and huge
numbers), and plausible forms per scenario (NEAR_MISSES: a form one rule away from valid)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from functools import cache

from hypothesis import strategies as st

from tui.broker.ticket import AssetFacts, Holding, Quote, ReviewFacts, TicketForm
from tui.sessions import Session, read_calendar, session_at


D = Decimal


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


