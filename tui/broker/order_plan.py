"""A validated order (OrderPlan): the alpaca-py request it becomes, and its review rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # alpaca-py is imported when an order is built: it costs ~1 s of start-up
    from alpaca.trading.requests import OrderRequest

from ..terms import ORDER_TYPES, plain
from .order_format import format_money, format_price, format_qty

TYPE_NAMES = {t: t.replace("_", " ") for t in ORDER_TYPES}  # "stop_limit" -> "stop limit"
MAX_CLIENT_ORDER_ID = 128


@dataclass(frozen=True)
class OrderPlan:
    """A validated order, ready to be reviewed and sent."""

    symbol: str
    side: str
    order_type: str
    tif: str
    qty: Decimal | None
    notional: Decimal | None
    limit_price: Decimal | None
    stop_price: Decimal | None
    trail_price: Decimal | None
    trail_percent: Decimal | None
    extended_hours: bool
    take_profit: Decimal | None
    stop_loss: Decimal | None

    @property
    def order_class(self) -> str:
        if self.take_profit is not None and self.stop_loss is not None:
            return "bracket"
        if self.take_profit is not None or self.stop_loss is not None:
            return "oto"
        return "simple"

    @property
    def fractional(self) -> bool:
        return self.notional is not None or (self.qty is not None and self.qty != self.qty.to_integral_value())

    def to_request(self, client_order_id: str) -> OrderRequest:
        """The alpaca-py request for this plan (alpaca-py takes numbers as floats)."""
        from alpaca.trading.enums import OrderClass, OrderSide, TimeInForce
        from alpaca.trading.requests import (
            LimitOrderRequest, MarketOrderRequest, StopLimitOrderRequest, StopLossRequest, StopOrderRequest,
            TakeProfitRequest, TrailingStopOrderRequest,
        )

        if not client_order_id or len(client_order_id) > MAX_CLIENT_ORDER_ID:
            raise ValueError(f"client_order_id must be 1 to {MAX_CLIENT_ORDER_ID} characters")
        fields: dict = {
            "symbol": self.symbol,
            "side": OrderSide(self.side),
            "time_in_force": TimeInForce(self.tif),
            "extended_hours": self.extended_hours,
            "client_order_id": client_order_id,
            "order_class": OrderClass(self.order_class),
        }
        if self.qty is not None:
            fields["qty"] = float(self.qty)
        else:
            fields["notional"] = float(self.notional)
        if self.take_profit is not None:
            fields["take_profit"] = TakeProfitRequest(limit_price=float(self.take_profit))
        if self.stop_loss is not None:
            fields["stop_loss"] = StopLossRequest(stop_price=float(self.stop_loss))
        if self.order_type == "market":
            return MarketOrderRequest(**fields)
        if self.order_type == "limit":
            return LimitOrderRequest(limit_price=float(self.limit_price), **fields)
        if self.order_type == "stop":
            return StopOrderRequest(stop_price=float(self.stop_price), **fields)
        if self.order_type == "stop_limit":
            return StopLimitOrderRequest(
                stop_price=float(self.stop_price), limit_price=float(self.limit_price), **fields
            )
        if self.trail_price is not None:
            return TrailingStopOrderRequest(trail_price=float(self.trail_price), **fields)
        return TrailingStopOrderRequest(trail_percent=float(self.trail_percent), **fields)

    def rows(self) -> list[tuple[str, str]]:
        """Label/value rows for the review screen; only rows that apply to this order."""
        rows = [("Symbol", self.symbol), ("Side", self.side.upper())]
        if self.qty is not None:
            rows.append(("Quantity", format_qty(self.qty)))
        else:
            rows.append(("Notional", format_money(self.notional)))
        rows.append(("Type", TYPE_NAMES[self.order_type]))
        if self.limit_price is not None:
            rows.append(("Limit price", format_price(self.limit_price)))
        if self.stop_price is not None:
            rows.append(("Stop price", format_price(self.stop_price)))
        if self.trail_price is not None:
            rows.append(("Trail", format_price(self.trail_price)))
        if self.trail_percent is not None:
            rows.append(("Trail", f"{plain(self.trail_percent)}%"))
        rows.append(("Time in force", self.tif.upper()))
        rows.append(("Extended hours", "yes" if self.extended_hours else "no"))
        rows.append(("Order class", self.order_class))
        if self.take_profit is not None:
            rows.append(("Take profit", format_price(self.take_profit)))
        if self.stop_loss is not None:
            rows.append(("Stop loss", format_price(self.stop_loss)))
        return rows
