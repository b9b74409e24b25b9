"""The order ticket: turn what the user typed into a validated order, and review it.

`validate` applies Alpaca's documented order rules and rejections before anything is
sent, with one short message per form field; `review` estimates cost and buying power and
lists what the user should know before confirming: how old the quote is, which session the
order waits for. Pure logic: no network, no clock, no Textual (the caller passes the
server's time). The rules mirror the simulator's server-side checks (tui/sim/requests.py,
engine.py) so a plan that passes here is never rejected for its parameters, nor for its
size: closing orders are checked against qty_available (see Holding).

This module is the ticket's one front door; the work is done in

- order_validation: the form (TicketForm, AssetFacts) and `validate`
- order_plan: the validated order (OrderPlan), its alpaca-py request and review rows
- holding: the position and the shares open orders hold (Holding, holding_of)
- order_review: the review (Quote, ReviewFacts, Review, `review`)
- order_input, order_format: reading typed numbers, writing figures
"""

from __future__ import annotations

from ..terms import ORDER_TYPES, SIDES, TIME_IN_FORCE, plain
from .holding import Holding, hold_text, holding_of, short_of_shares
from .order_format import CENT, format_age, format_money, format_price, format_qty, order_price
from .order_input import (
    GROUPED_NUMBER, HUNDREDTH_CENT, MAX_NUMBER, PLAIN_NUMBER, choice, parse_positive, parse_price, sub_penny_error,
)
from .order_plan import MAX_CLIENT_ORDER_ID, TYPE_NAMES, OrderPlan
from .order_review import (
    STALE_QUOTE, Quote, Review, ReviewFacts, known, quote_age, quote_text, reference_price, review, session_warning,
)
from .order_validation import (
    DAY_OR_GTC, PRICE_FIELDS, QTY_STEP, SYMBOL_PATTERN, AssetFacts, TicketForm, check_leg_prices, tifs_for, validate,
)

TIFS = TIME_IN_FORCE  # the name the ticket's callers know

__all__ = [
    "CENT", "DAY_OR_GTC", "GROUPED_NUMBER", "HUNDREDTH_CENT", "MAX_CLIENT_ORDER_ID", "MAX_NUMBER", "ORDER_TYPES",
    "PLAIN_NUMBER", "PRICE_FIELDS", "QTY_STEP", "SIDES", "STALE_QUOTE", "SYMBOL_PATTERN", "TIFS", "TYPE_NAMES",
    "AssetFacts", "Holding", "OrderPlan", "Quote", "Review", "ReviewFacts", "TicketForm",
    "check_leg_prices", "choice", "format_age", "format_money", "format_price", "format_qty", "hold_text",
    "holding_of", "known", "order_price", "parse_positive", "parse_price", "plain", "quote_age", "quote_text",
    "reference_price", "review", "session_warning", "short_of_shares", "sub_penny_error", "tifs_for", "validate",
]
