"""The account as the server last described it, and the rule for sharing it with threads.

Worker threads (loaders) and the UI thread both read the account's state; only the UI
thread changes it. The rule: everything lives in one frozen `Snapshot`, and a change makes
a new snapshot and swaps it in with one assignment (atomic in Python). A worker reads
`state.snapshot` once and has a consistent whole for as long as it needs it; nothing it
holds is ever mutated under it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Mapping, Sequence

from ..broker.activity import DayTradeBook, FillRow
from ..broker.errors import Problem
from ..broker.order_events import OrderGate
from ..broker.ticket import Holding, OrderPlan, ReviewFacts, holding_of
from ..daytrades import PDT_EQUITY_THRESHOLD, PDT_MAX_DAY_TRADES
from ..numbers import number
from .slippage import SlippageBook
from ..sessions import AFTER_HOURS, CLOSED, REGULAR, Session, TradingDay, is_open_at, session_at
from ..terms import NEW_YORK



@dataclass(frozen=True)
class Snapshot:
    """Everything the server last told us, as one immutable value."""

    account: Any = None
    positions: tuple[Any, ...] = ()
    orders: Mapping[str, Any] = field(default_factory=dict)  # open orders by id; never mutated once swapped in
    versions: Mapping[str, tuple] = field(default_factory=dict)  # what each open order looked like (see widgets.orders.order_version)
    fills: tuple[FillRow, ...] = ()  # newest first
    daybook: DayTradeBook | None = None
    clock: Any = None
    clock_offset: timedelta = timedelta(0)  # the server's clock minus ours
    calendar: tuple[TradingDay, ...] = ()  # about two weeks back and ahead
    trading_days: tuple[date, ...] = ()
    calendar_for: date | None = None  # the New York day the calendar was read on


@dataclass
class AccountState:
    """The snapshot, the order gate, and what can be worked out from them."""

    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    live: bool = False
    snapshot: Snapshot = field(default_factory=Snapshot)
    gate: OrderGate = field(default_factory=OrderGate)  # an order's state never moves backwards
    rejections: list[tuple[datetime, str, Problem]] = field(default_factory=list)  # UI thread only
    slippage: SlippageBook = field(default_factory=SlippageBook)  # the quotes market orders were sent at

    def swap(self, **changes: Any) -> Snapshot:
        """Replace the snapshot with one that has `changes` (UI thread only)."""
        self.snapshot = replace(self.snapshot, **changes)
        return self.snapshot

    # ---- reads (any thread: each reads the snapshot once) ----

    @property
    def account(self) -> Any:
        return self.snapshot.account

    @property
    def positions(self) -> tuple[Any, ...]:
        return self.snapshot.positions

    @property
    def orders(self) -> Mapping[str, Any]:
        return self.snapshot.orders

    @property
    def fills(self) -> tuple[FillRow, ...]:
        return self.snapshot.fills

    @property
    def clock(self) -> Any:
        return self.snapshot.clock

    def server_now(self) -> datetime:
        """Now by the server's clock (its offset from ours is measured on each clock read)."""
        return self.now() + self.snapshot.clock_offset

    def today(self) -> date:
        """Today in New York, by the server's clock when we have it."""
        return self.server_now().astimezone(NEW_YORK).date()

    def session(self) -> Session | None:
        """The session now. The server's clock decides regular hours (the simulator can be
        always open); the calendar says which extended session, if any, is on otherwise."""
        snap = self.snapshot
        now = self.server_now()
        found = session_at(now, list(snap.calendar)) if snap.calendar else None
        clock = snap.clock
        if clock is None:
            return found
        if is_open_at(clock, now):
            if found is not None and found.name == REGULAR:
                return found
            return Session(REGULAR, clock.next_close, AFTER_HOURS, clock.next_close, clock.next_open)
        if found is None or found.name == REGULAR:  # the calendar says open, the clock does not
            return Session(CLOSED, clock.next_open, REGULAR, clock.next_open, clock.next_open)
        return found

    def market_open(self) -> bool:
        clock = self.snapshot.clock
        return clock is None or is_open_at(clock, self.server_now())

    def legacy_pdt(self) -> bool:
        """The server still applies the legacy PDT rule: it sends the fields removed in 2026-07."""
        account = self.snapshot.account
        return account is not None and getattr(account, "pattern_day_trader", None) is not None

    def daytrade_count(self) -> tuple[int | None, bool, bool]:
        """(count, computed locally, warning): the server's figure when it sends one."""
        snap = self.snapshot
        server = getattr(snap.account, "daytrade_count", None) if snap.account is not None else None
        if server is not None:
            count = int(server)
            last_equity = number(snap.account.last_equity) or Decimal(0)
            warning = self.legacy_pdt() and last_equity < PDT_EQUITY_THRESHOLD and count >= PDT_MAX_DAY_TRADES
            return count, False, warning
        if snap.daybook is None:
            return None, True, False
        return snap.daybook.count, True, False

    def position(self, symbol: str) -> Any | None:
        return next((p for p in self.snapshot.positions if p.symbol == symbol), None)

    def position_qty(self, symbol: str) -> Decimal:
        position = self.position(symbol)
        return (number(position.qty) or Decimal(0)) if position is not None else Decimal(0)

    def holding(self, symbol: str) -> Holding:
        """The position in `symbol` with what its open orders hold (sells check against that)."""
        snap = self.snapshot
        position = next((p for p in snap.positions if p.symbol == symbol), None)
        return holding_of(position, [o for o in snap.orders.values() if o.symbol == symbol])

    def open_order_counts(self) -> tuple[int, int]:
        """(orders, bracket legs) open now: together, what the Orders title counts."""
        orders = self.snapshot.orders
        return len(orders), sum(len(order.legs or []) for order in orders.values())

    def review_facts(self, plan: OrderPlan) -> ReviewFacts:
        """What the review needs to show an order's consequences."""
        snap = self.snapshot
        account = snap.account
        count, _, _ = self.daytrade_count()
        would = False
        if snap.daybook is not None:
            side = plan.side if plan.side == "buy" else "sell"
            would = snap.daybook.would_day_trade(self.today(), plan.symbol, side, plan.qty)
        return ReviewFacts(
            buying_power=(number(account.buying_power) if account else None) or Decimal(0),
            last_equity=(number(account.last_equity) if account else None) or Decimal(0),
            position_qty=self.position_qty(plan.symbol), market_open=self.market_open(), live=self.live,
            legacy_pdt=self.legacy_pdt(), daytrade_count=count or 0, would_day_trade=would,
            holding=self.holding(plan.symbol), session=self.session(),
        )


def revalued(account: Any, positions: Sequence[Any]) -> Any:
    """The account with its market values and equity at the positions' (live) values:
    equity = cash + long + short market value, as the server computes it. The account as
    read when a value is unknown (a total that leaves a position out is a wrong figure)."""
    cash, copy = number(getattr(account, "cash", None)), getattr(account, "model_copy", None)
    values = [number(getattr(p, "market_value", None)) for p in positions]
    if cash is None or copy is None or any(value is None for value in values):
        return account
    long = sum((v for v in values if v is not None and v > 0), Decimal(0))
    short = sum((v for v in values if v is not None and v < 0), Decimal(0))
    equity = number(cash + long + short)
    if equity is None:
        return account
    return copy(update={"long_market_value": str(long), "short_market_value": str(short), "equity": str(equity)})
