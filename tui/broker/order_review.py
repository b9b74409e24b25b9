"""The review before confirming: estimated cost, buying power left, and what the user
should know (how old the quote is, which session the order waits for, day trades).

Pure logic: no network, no clock (the caller passes the server's time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ..daytrades import pdt_blocks
from ..numbers import moment, number
from ..sessions import PRE_MARKET, REGULAR, TRADING, Session, describe, when
from ..terms import plain
from .holding import Holding, short_of_shares
from .order_format import CENT, format_age, format_money, format_price
from .order_plan import OrderPlan

STALE_QUOTE = timedelta(seconds=10)  # older than this, the estimate may be off: say so


@dataclass(frozen=True)
class Quote:
    """bid, ask and last trade; `at` is when the quote was taken: the server's quote
    timestamp when it has one, else when it was received (None: unknown)."""

    bid: Decimal | None
    ask: Decimal | None
    last: Decimal | None
    at: datetime | None = None

    def usable(self) -> Quote:
        """This quote with every figure that is no price (missing, 0, negative, NaN, inf,
        absurdly large) as None and `at` as an aware time or None."""
        return Quote(known(self.bid), known(self.ask), known(self.last), moment(self.at))


@dataclass(frozen=True)
class ReviewFacts:
    buying_power: Decimal
    last_equity: Decimal
    position_qty: Decimal = Decimal(0)  # signed, current position in the symbol
    market_open: bool = True  # used only when `session` is None
    live: bool = False
    legacy_pdt: bool = False  # server reports the legacy PDT rule
    daytrade_count: int = 0
    would_day_trade: bool = False  # from tui.daytrades.DayTradeCounter.would_day_trade
    holding: Holding | None = None  # the position with what open orders hold; wins over position_qty
    session: Session | None = None  # from tui.sessions.session_at; wins over market_open


@dataclass(frozen=True)
class Review:
    price: Decimal | None  # the reference price used for the estimate
    estimated_cost: Decimal | None  # qty x price (the notional itself for notional orders)
    buying_power_after: Decimal | None
    warnings: list[str]
    quote_age: timedelta | None = None  # how old the quote given to review() is (None: unknown)
    quote_line: str | None = None  # "bid 254.90 ask 255.10 · 3 s old"
    session_line: str | None = None  # "after-hours until 20:00 ET · next pre-market Mon 04:00 ET"
    quote_used: bool = False  # the estimate's price came from the quote (not the order's own price)
    quote: Quote | None = None  # the quote behind quote_line (usable figures only)

    def rows(self) -> list[tuple[str, str]]:
        """Label/value rows for the review screen, after OrderPlan.rows(): only those known."""
        rows = []
        if self.quote_line:
            rows.append(("Quote", self.quote_line))
        if self.session_line:
            rows.append(("Session", self.session_line))
        return rows


def known(price: Any) -> Decimal | None:
    """A price, or None: quotes say 0 when there is no bid or ask, and a figure from outside
    may be anything (NaN, infinity, 1e400, negative)."""
    value = number(price)
    return value if value is not None and value > 0 else None


def reference_price(plan: OrderPlan, quote: Quote | None) -> Decimal | None:
    if plan.order_type in ("limit", "stop_limit"):
        return plan.limit_price
    if plan.order_type == "stop":
        return plan.stop_price
    if quote is None:
        return None
    touch = quote.ask if plan.side == "buy" else quote.bid
    return known(touch) or known(quote.last)


def quote_age(quote: Quote | None, now: datetime | None) -> timedelta | None:
    """How old the quote is at `now`; a quote stamped after `now` (clocks differ) is 0 s old."""
    taken, current = (moment(quote.at) if quote is not None else None), moment(now)
    if taken is None or current is None:
        return None
    return max(current - taken, timedelta(0))


def quote_text(quote: Quote, age: timedelta | None) -> str | None:
    """ "bid 254.90 ask 255.10 · 3 s old"; the last trade only when bid or ask is missing."""
    def price(value: Decimal | None) -> str:
        return format_price(value).removeprefix("$") if value is not None else "—"

    if quote.bid is None and quote.ask is None and quote.last is None:
        return None
    text = f"bid {price(quote.bid)} ask {price(quote.ask)}"
    if quote.last is not None and (quote.bid is None or quote.ask is None):
        text += f" last {price(quote.last)}"
    if age is not None:
        text += f" · {format_age(age)} old"
    return text


def session_warning(plan: OrderPlan, session: Session, now: datetime | None) -> str | None:
    """Why the order would wait instead of trading now, or None. Extended-hours orders trade
    in pre-market, regular and after-hours sessions; the others in regular hours only."""
    if plan.extended_hours:
        if session.name in TRADING:
            return None
        if session.next_name is not None and session.next_at is not None:
            return f"no session until {session.next_name} {when(session.next_at, now)}: the order waits"
        return "no session now: the order waits for the next one"
    if session.name == REGULAR:
        return None
    where = "pre-market" if session.name == PRE_MARKET else "market closed"
    after = f" ({when(session.next_open, now)})" if session.next_open is not None else ""
    return f"{where}: this order waits for the regular session{after}"


def review(plan: OrderPlan, quote: Quote | None, facts: ReviewFacts, now: datetime | None = None) -> Review:
    """Estimated cost, buying power left, and warnings for the confirmation screen.

    `now` is the server's time, for the quote's age and the session's times (no clock is
    read here); without it the quote's age is unknown."""
    quote = quote.usable() if quote is not None else None
    price = reference_price(plan, quote)
    quote_used = quote is not None and price is not None and plan.order_type not in ("limit", "stop_limit", "stop")
    age = quote_age(quote, now)
    holding = Holding.of(facts.holding if facts.holding is not None else facts.position_qty)
    position = holding.position
    buying_power = number(facts.buying_power)
    # Shares this order closes (a sell against a long, a buy against a short) use no
    # buying power; only the part that opens or adds to a position does.
    closable = max(position, Decimal(0)) if plan.side == "sell" else max(-position, Decimal(0))

    if plan.notional is not None:
        estimated_cost: Decimal | None = plan.notional
        if closable == 0:
            opening_cost: Decimal | None = plan.notional
        elif price is not None:
            opening_cost = max(plan.notional - closable * price, Decimal(0))
        else:
            opening_cost = None
        opens_position = opening_cost is None or opening_cost > 0
        shares = plan.notional / price if price is not None else None  # what the server will size it at
    else:
        estimated_cost = plan.qty * price if price is not None else None
        opening_qty = max(plan.qty - closable, Decimal(0))
        opening_cost = Decimal(0) if opening_qty == 0 else (opening_qty * price if price is not None else None)
        opens_position = opening_qty > 0
        shares = plan.qty
    buying_power_after = buying_power - opening_cost if opening_cost is not None and buying_power is not None else None

    warnings: list[str] = []
    if facts.live:
        warnings.append("LIVE account: real money")
    if facts.session is not None:
        waits = session_warning(plan, facts.session, now)
        if waits:
            warnings.append(waits)
    elif not facts.market_open and not plan.extended_hours:
        warnings.append("market is closed: the order will queue for the next session")
    # The position may have changed since the ticket was checked, and a dollar amount's
    # share count is only known at the quote: the server refuses more than is available.
    too_many = short_of_shares(holding, plan.side, shares) if shares is not None else None
    if too_many:
        if plan.notional is not None:
            # quantize() past the context's 28 digits would raise: huge counts are shown whole
            about = plain(shares.quantize(CENT)) if shares.adjusted() < 20 else plain(shares)
            too_many = f"{format_money(plan.notional)} is about {about} shares: {too_many}"
        warnings.append(too_many)
    if opening_cost is not None and buying_power is not None and opening_cost > buying_power:
        warnings.append(
            f"exceeds buying power ({format_money(opening_cost)} needed, "
            f"{format_money(buying_power)} available)"
        )
    if plan.side == "sell" and opens_position and position <= 0:  # against a long, too many is refused instead
        warnings.append("opens a short position")
    if facts.would_day_trade:
        warnings.append("completes a day trade")
    last_equity = number(facts.last_equity)  # unreadable: the protection may apply, so warn
    if facts.legacy_pdt and pdt_blocks(facts.daytrade_count, last_equity if last_equity is not None else Decimal(0),
                                       facts.would_day_trade):
        warnings.append(
            f"would be day trade #{facts.daytrade_count + 1} in 5 days: "
            "pattern day trader protection may reject it"
        )
    if estimated_cost is None:
        warnings.append("no price known: cost cannot be estimated")
    elif quote_used and age is not None and int(age.total_seconds()) > STALE_QUOTE.total_seconds():  # as shown: whole seconds
        warnings.append(f"quote is {format_age(age)} old")
    return Review(
        price=price, estimated_cost=estimated_cost, buying_power_after=buying_power_after, warnings=warnings,
        quote_age=age, quote_line=quote_text(quote, age) if quote is not None else None,
        session_line=describe(facts.session, now) if facts.session is not None else None, quote_used=quote_used,
        quote=quote,
    )
