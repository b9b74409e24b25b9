"""Account activities (GET /v2/account/activities), as plain values read field by field.

alpaca-py 0.44 has no TradingClient method for activities, and its activity models require
`account_id` (which trading responses lack) and fail a whole answer on one unknown enum.
So the Broker reads them raw and this module turns each into a frozen dataclass:

- `TradeActivity` for FILL (an execution: price and qty are per execution),
- `NonTradeActivity` for everything else (dividends, interest, fees, transfers, journals,
  splits, option assignments/expiries, reorganisations, ...), including types this module
  has never heard of: those are kept, with their raw type name (cleaned).

Every number goes through tui.numbers.number, every time through moment, every text through
tui.text.clean: junk becomes None (or ""), never an exception. Only what is not a JSON
object at all is dropped. No Textual here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Union

from ..numbers import moment, number
from ..terms import NEW_YORK
from ..text import clean, is_symbol

TRADE_TYPES = ("FILL",)
# Alpaca's non-trade activity types (docs: account activities). DIV has many sub-kinds
# (DIVCGL, DIVCGS, DIVFEE, DIVFT, DIVNRA, DIVROC, DIVTW, DIVTXEX); CSD/CSW are cash
# deposits/withdrawals, JNLC/JNLS cash/stock journals, OPASN/OPEXP/OPEXC/OPTRD options.
NON_TRADE_TYPES = (
    "ACATC", "ACATS", "CFEE", "CGD", "CIL", "CSD", "CSW", "DIV", "DIVCGL", "DIVCGS", "DIVFEE", "DIVFT",
    "DIVNRA", "DIVROC", "DIVTW", "DIVTXEX", "FEE", "INT", "INTNRA", "INTTW", "JNL", "JNLC", "JNLS", "MA",
    "NC", "OCT", "OPASN", "OPCA", "OPCSH", "OPEXC", "OPEXP", "OPTRD", "PTC", "PTR", "REORG", "SC", "SPIN",
    "SPLIT", "SSO", "SSP", "TRANS", "VOF", "WH",
)
ACTIVITY_TYPES = TRADE_TYPES + NON_TRADE_TYPES
# What may stand in a URL path or a query as an activity type: Alpaca's are upper-case letters.
ACTIVITY_TYPE = re.compile(r"[A-Z]{2,10}")
MAX_ID = 200  # characters: an activity id is a timestamp, "::" and a UUID (~56)


@dataclass(frozen=True)
class TradeActivity:
    """A FILL activity: one execution of an order."""

    id: str | None
    activity_type: str  # "FILL"
    transaction_time: datetime | None
    type: str | None  # fill | partial_fill
    price: Decimal | None
    qty: Decimal | None
    side: str | None  # buy | sell | sell_short
    symbol: str | None
    leaves_qty: Decimal | None
    cum_qty: Decimal | None
    order_id: str | None
    order_status: str | None


@dataclass(frozen=True)
class NonTradeActivity:
    """Any activity that is not a fill: dividends, interest, fees, transfers, journals,
    splits, option events, reorganisations, and types unknown to this module."""

    id: str | None
    activity_type: str  # as sent (cleaned); "" when the server sent none
    date: date | None
    net_amount: Decimal | None
    description: str
    symbol: str | None
    qty: Decimal | None
    per_share_amount: Decimal | None
    status: str | None  # executed | correct | canceled

    @property
    def known(self) -> bool:
        return self.activity_type in NON_TRADE_TYPES


Activity = Union[TradeActivity, NonTradeActivity]


def parse_activity(raw: Any) -> Activity | None:
    """One activity from the wire, or None when it is not a JSON object."""
    if not isinstance(raw, dict):
        return None
    kind = _word(raw.get("activity_type"), upper=True) or ""
    if kind in TRADE_TYPES:
        return TradeActivity(
            id=_id(raw.get("id")),
            activity_type=kind,
            transaction_time=moment(raw.get("transaction_time")),
            type=_word(raw.get("type")),
            price=number(raw.get("price")),
            qty=number(raw.get("qty")),
            side=_word(raw.get("side")),
            symbol=_symbol(raw.get("symbol")),
            leaves_qty=number(raw.get("leaves_qty")),
            cum_qty=number(raw.get("cum_qty")),
            order_id=_id(raw.get("order_id")),
            order_status=_word(raw.get("order_status")),
        )
    return NonTradeActivity(
        id=_id(raw.get("id")),
        activity_type=kind,
        date=_day(raw.get("date")),
        net_amount=number(raw.get("net_amount")),
        description=clean(raw.get("description"), one_line=True, limit=500),
        symbol=_symbol(raw.get("symbol")),
        qty=number(raw.get("qty")),
        per_share_amount=number(raw.get("per_share_amount")),
        status=_word(raw.get("status")),
    )


def parse_activities(raw: Iterable[Any]) -> list[Activity]:
    """Every activity that is a JSON object, in the order sent."""
    return [a for a in map(parse_activity, raw) if a is not None]


def activity_id(raw: Any) -> str | None:
    """The id of a raw activity as the server sent it, for `page_token`; None when it has
    no usable one (then there is no next page to ask for)."""
    if not isinstance(raw, dict):
        return None
    value = raw.get("id")
    if not isinstance(value, str) or not value or len(value) > MAX_ID or not value.isprintable():
        return None
    return value


# ---- fields ----------------------------------------------------------------------------------

def _id(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = clean(value, one_line=True, limit=MAX_ID).strip()
    return text or None


def _word(value: Any, *, upper: bool = False) -> str | None:
    """A short enum-like word (side, status, type), cleaned; None when absent or not text."""
    if not isinstance(value, str):
        return None
    text = clean(value, one_line=True, limit=40).strip()
    if not text:
        return None
    return text.upper() if upper else text.lower()


def _symbol(value: Any) -> str | None:
    if is_symbol(value):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = clean(value, one_line=True, limit=32).strip()  # odd but shown (escaped by the UI): kept, cleaned
    return text or None


def _day(value: Any) -> date | None:
    """A date: "2026-01-15", or a timestamp (its New York day), bounded like tui.numbers.moment."""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            return None
        return day if 1970 <= day.year < 2200 else None
    when = moment(value)
    return when.astimezone(NEW_YORK).date() if when is not None else None
