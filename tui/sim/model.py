"""The simulator's records — orders, positions, trade and non-trade activities — and their Alpaca JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..terms import NEW_YORK
from .fmt import money, num, ratio, ts

OPEN_STATUSES = frozenset(
    {"new", "partially_filled", "accepted", "pending_new", "held", "pending_cancel", "pending_replace",
     "accepted_for_bidding", "calculated", "done_for_day", "stopped", "suspended"}
)
# Orders that can execute now (a held leg waits for its parent, accepted waits for the session).
WORKING_STATUSES = frozenset({"new", "partially_filled"})
ZERO = Decimal(0)
FRACTION = Decimal("0.000000001")  # the finest qty: Alpaca trades shares to 9 decimal places


@dataclass
class Order:
    id: str
    client_order_id: str
    symbol: str
    asset_id: str
    side: str
    type: str
    time_in_force: str
    order_class: str
    status: str
    created_at: datetime
    qty: Decimal | None = None
    notional: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail_price: Decimal | None = None
    trail_percent: Decimal | None = None
    hwm: Decimal | None = None
    extended_hours: bool = False
    position_intent: str | None = None
    filled_qty: Decimal = ZERO
    filled_value: Decimal = ZERO
    updated_at: datetime | None = None
    submitted_at: datetime | None = None
    filled_at: datetime | None = None
    expired_at: datetime | None = None
    expires_at: datetime | None = None
    canceled_at: datetime | None = None
    failed_at: datetime | None = None
    replaced_at: datetime | None = None
    replaced_by: str | None = None
    replaces: str | None = None
    parent_id: str | None = None
    legs: list[Order] = field(default_factory=list)
    # Engine bookkeeping, never sent.
    triggered: bool = False  # a stop has been hit: it now works as market (or limit)
    next_fill_at: float = 0.0  # monotonic time before which a partial fill does not continue
    partial_plan: Decimal | None = None  # qty of the first, partial execution when chosen

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def remaining(self) -> Decimal:
        if self.qty is None:  # notional order not yet filled
            return ZERO if self.filled_qty else Decimal(1)
        return self.qty - self.filled_qty

    @property
    def filled_avg_price(self) -> Decimal | None:
        if not self.filled_qty:
            return None
        return (self.filled_value / self.filled_qty).quantize(Decimal("0.0001")).normalize()

    def touch(self, now: datetime) -> None:
        self.updated_at = now

    def to_json(self, nested: bool = True) -> dict[str, Any]:
        return {
            "id": self.id,
            "client_order_id": self.client_order_id,
            "created_at": ts(self.created_at),
            "updated_at": ts(self.updated_at or self.created_at),
            "submitted_at": ts(self.submitted_at or self.created_at),
            "filled_at": ts(self.filled_at),
            "expired_at": ts(self.expired_at),
            "expires_at": ts(self.expires_at),
            "canceled_at": ts(self.canceled_at),
            "failed_at": ts(self.failed_at),
            "replaced_at": ts(self.replaced_at),
            "replaced_by": self.replaced_by,
            "replaces": self.replaces,
            "asset_id": self.asset_id,
            "symbol": self.symbol,
            "asset_class": "us_equity",
            "notional": num(self.notional),
            "qty": num(self.qty),
            "filled_qty": num(self.filled_qty),
            "filled_avg_price": num(self.filled_avg_price),
            "order_class": self.order_class,
            "order_type": self.type,
            "type": self.type,
            "side": self.side,
            "position_intent": self.position_intent,
            "time_in_force": self.time_in_force,
            "limit_price": num(self.limit_price),
            "stop_price": num(self.stop_price),
            "status": self.status,
            "extended_hours": self.extended_hours,
            "legs": [leg.to_json() for leg in self.legs] if nested and self.legs else None,
            "trail_percent": num(self.trail_percent),
            "trail_price": num(self.trail_price),
            "hwm": num(self.hwm),
            "subtag": None,
            "source": None,
        }


@dataclass
class Position:
    symbol: str
    asset_id: str
    exchange: str
    marginable: bool
    qty: Decimal  # signed: shorts are negative
    cost_basis: Decimal  # signed, like qty
    # What today's P&L is measured against: yesterday's close for shares held overnight,
    # the fill price for shares opened today.
    intraday_basis: Decimal
    opened_at: datetime

    @property
    def avg_entry_price(self) -> Decimal:
        return self.cost_basis / self.qty if self.qty else ZERO

    def to_json(self, last: Decimal, prev_close: Decimal, qty_available: Decimal) -> dict[str, Any]:
        market_value = self.qty * last
        unrealized = market_value - self.cost_basis
        intraday = market_value - self.intraday_basis
        return {
            "asset_id": self.asset_id,
            "symbol": self.symbol,
            "exchange": self.exchange,
            "asset_class": "us_equity",
            "asset_marginable": self.marginable,
            "qty": num(self.qty),
            "qty_available": num(qty_available),
            "avg_entry_price": num(self.avg_entry_price.quantize(Decimal("0.0001"))),
            "side": "long" if self.qty > 0 else "short",
            "market_value": money(market_value),
            "cost_basis": money(self.cost_basis),
            "unrealized_pl": money(unrealized),
            "unrealized_plpc": ratio(unrealized / abs(self.cost_basis)) if self.cost_basis else "0",
            "unrealized_intraday_pl": money(intraday),
            "unrealized_intraday_plpc": ratio(intraday / abs(self.intraday_basis)) if self.intraday_basis else "0",
            "current_price": num(last),
            "lastday_price": num(prev_close),
            "change_today": ratio((last - prev_close) / prev_close) if prev_close else "0",
        }


@dataclass
class FillActivity:
    id: str
    at: datetime
    order: Order
    side: str
    symbol: str
    price: Decimal
    qty: Decimal
    kind: str  # "fill" | "partial_fill"
    leaves_qty: Decimal
    cum_qty: Decimal
    order_status: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "activity_type": "FILL",
            "transaction_time": ts(self.at),
            "type": self.kind,
            "price": num(self.price),
            "qty": num(self.qty),
            "side": self.side,
            "symbol": self.symbol,
            "leaves_qty": num(self.leaves_qty),
            "cum_qty": num(self.cum_qty),
            "order_id": self.order.id,
            "order_status": self.order_status,
        }


# Activity types Alpaca reports that are not executions (cash or shares moving for other
# reasons): its OpenAPI spec's ActivityType and alpaca-py's, less the trade types and the
# query-only groups TRANS and MISC (activities.GROUPS).
NON_TRADE_TYPES = ("ACATC", "ACATS", "CFEE", "CIL", "CSD", "CSW", "DIV", "DIVCGL", "DIVCGS", "DIVFEE", "DIVFT",
                   "DIVNRA", "DIVROC", "DIVTW", "DIVTXEX", "DIVWH", "EXTRD", "FEE", "FOPT", "FXTRD", "INT",
                   "INTNRA", "INTPNL", "INTTW", "JNL", "JNLC", "JNLS", "MA", "MEM", "NC", "OCT", "OPASN", "OPCA",
                   "OPCSH", "OPEXC", "OPEXP", "PTC", "PTR", "REORG", "SPIN", "SPLIT", "SWP", "VOF", "WH")
TRADE_TYPES = ("FILL", "OPTRD")


@dataclass
class CashActivity:
    """A non-trade activity: dividends, interest, fees, deposits, journals. `net_amount` is
    signed as it moves the account's cash (a fee is negative)."""
    id: str
    at: datetime
    activity_type: str
    net_amount: Decimal
    description: str
    symbol: str | None = None
    qty: Decimal | None = None
    per_share_amount: Decimal | None = None
    sub_type: str | None = None  # activity_sub_type: REG/TAF for fees, CDIV for cash dividends, CDT for interest
    status: str = "executed"

    def to_json(self) -> dict[str, Any]:
        body = {
            "id": self.id,
            "activity_type": self.activity_type,
            "activity_sub_type": self.sub_type,
            "date": self.at.astimezone(NEW_YORK).date().isoformat(),
            "net_amount": money(self.net_amount),
            "description": self.description,
            "symbol": self.symbol,
            "qty": num(self.qty),
            "per_share_amount": num(self.per_share_amount),
            "status": self.status,
        }
        # Alpaca's spec: symbol, qty, per_share_amount are "not present for all activity types"
        # (absent, not null) -- a deposit has no symbol.
        return {k: v for k, v in body.items() if v is not None}


def activity_id(at: datetime, unique: str) -> str:
    """Alpaca's activity id: the New York time to the millisecond, then a uuid."""
    local = at.astimezone(NEW_YORK)
    return f"{local:%Y%m%d%H%M%S}{local.microsecond // 1000:03d}::{unique}"
