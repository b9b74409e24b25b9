"""The exchange: one account, its orders and positions, behind the API the HTTP layer calls.

Exchange owns the state and is the façade; the work is done by the modules beside it:
book.py (the orders and their indexes), margin.py (equity and buying power), rules.py
(the checks an order passes), placement.py (creating and replacing orders), matching.py
(executions and fills), rollover.py (the trading day passing), seeding.py (start-up
portfolios), backstory.py (the seeded past: closed orders, activities, daily equity),
activities.py (the activities endpoint) and history.py (portfolio history).

Everything here runs on the server's event loop thread (or a test's thread): no locks, no
I/O. The HTTP layer calls the public methods and serialises what they return; every order
change is published to `listeners` as a trade_updates event.
"""

from __future__ import annotations

import heapq
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any, Callable, Iterable

from .watchlists import Watchlists
from .. import daytrades
from . import assets as asset_db
from . import activities, backstory, history, margin, matching, placement, rollover, rules, seeding
from .assets import Asset
from .book import OrderBook
from .clock import Clock
from .errors import ApiError, not_found, unprocessable
from .fmt import money, ts
from .market import MarketHours
from .model import FRACTION, ZERO, CashActivity, FillActivity, Order, Position
from .prices import PriceBook, Quote
from .requests import OrderSpec, ReplaceSpec, validate

PRICE_STEP_SECONDS = 1.0  # between the walk's steps at the default quote_rate of 1
MAX_QUOTE_RATE = 20.0  # the engine ticks every 50 ms (server.TICK_SECONDS): at most one step a tick
EQUITY_SAMPLE_SECONDS = 60.0
EQUITY_SAMPLES_KEPT = 45000  # a sample a minute for 31 days: intraday history reaches 30 days back
MAX_CASH = Decimal(10**12)  # beyond it, dollar amounts outgrow Decimal's 28 digits of exact cents

Listener = Callable[[dict[str, Any]], None]


@dataclass
class EngineOptions:
    seed: int = 0
    cash: Decimal = Decimal(100000)
    market: str = "always-open"
    pdt: str = "current"  # "current" (no PDT fields, since 2026-07-06) or "legacy"
    portfolio: str = "empty"  # "empty" or "sample"
    prices: str = "live"  # "live" random walk, or "static"
    quote_rate: float = 1.0  # live prices: walk steps (quotes per symbol) a second, up to MAX_QUOTE_RATE
    fill_delay: float = 0.02  # seconds between acceptance and the first execution
    partial_fill_share: float = 0.10  # as at Alpaca's paper service: ~1 order in 10 fills partially first
    positions: int = 0  # extra synthetic positions, for scale tests
    open_orders: int = 0  # extra resting limit orders, for scale tests
    closed_orders: int = 0  # extra closed orders over the past year, for history and paging tests


class Exchange:
    def __init__(self, options: EngineOptions | None = None, clock: Clock | None = None) -> None:
        self.options = opts = options or EngineOptions()
        if not 0 <= Decimal(opts.cash) <= MAX_CASH:
            raise ValueError(f"cash must be from 0 to {MAX_CASH}")  # refused at start, not a 500 per request
        self.clock = clock or Clock()
        self.hours = MarketHours(opts.market)  # type: ignore[arg-type]
        self.listeners: list[Listener] = []
        # Called with the quotes that just changed (the price walk, set_price): the market-data stream.
        self.quote_listeners: list[Callable[[list[Quote]], None]] = []
        # Ids of what requests create (account, orders) come from their own stream, so they
        # depend on the requests alone and not on how engine ticks fall between them.
        self._ids = random.Random(f"{opts.seed}:ids")
        self._execution_ids = random.Random(f"{opts.seed}:executions")
        self.fills_rng = random.Random(f"{opts.seed}:fills")  # which orders fill partially first, and how much
        now = self.clock.now()
        self.assets: dict[str, Asset] = dict(asset_db.UNIVERSE)
        self.assets_by_id: dict[str, Asset] = {a.id: a for a in self.assets.values()}
        self.prices = PriceBook(
            {s: a.price for s, a in self.assets.items()}, seed=opts.seed, moving=opts.prices == "live", now=now,
            step_seconds=self._step_seconds(opts.quote_rate),
        )
        self.book = OrderBook()
        self.positions: dict[str, Position] = {}
        self.activities: list[FillActivity] = []  # executions, oldest first
        self.cash_activities: list[CashActivity] = []  # dividends, fees, deposits..., oldest first
        self.cash = Decimal(opts.cash)
        self.account_id = self.uuid()
        self.account_number = f"PA{self._ids.randrange(10**9, 10**10)}"
        self.created_at = now - timedelta(days=400)
        self.config: dict[str, Any] = {
            "dtbp_check": "entry",
            "fractional_trading": True,
            "max_margin_multiplier": "4",
            "no_shorting": False,
            "pdt_check": "entry",
            "suspend_trade": False,
            "trade_confirm_email": "all",
            "ptp_no_exception_entry": False,
            "max_options_trading_level": 0,
        }
        self.day_trades = daytrades.DayTradeCounter()
        self._last_price_step = self.clock.monotonic()
        self._last_equity_sample = self.clock.monotonic()
        self.equity_history: list[tuple[datetime, Decimal]] = []  # samples while running, oldest first
        self.daily_equity: list[tuple[datetime, Decimal]] = []  # equity at each day's close, oldest first
        self.watchlists = Watchlists(self)
        if opts.portfolio == "sample":
            seeding.sample_portfolio(self, now)
            backstory.sample_past(self, now)
        if opts.positions or opts.open_orders:
            seeding.scale(self, now, opts.positions, opts.open_orders)
        if opts.closed_orders:
            backstory.closed_orders(self, now, opts.closed_orders)
        self.last_equity = self.cash + margin.previous_close_value(self.positions, self.prices)
        # Portfolio history has the previous close, so today's P&L has a base (and a day
        # already closed when the simulator starts has its close: rollover.start).
        self.daily_equity.append((self.hours.previous_rollover(now), self.last_equity))
        self.days = rollover.start(self, now)

    # Every order, and the open ones, by id: the book's, under the names callers know.
    @property
    def orders(self) -> dict[str, Order]:
        return self.book.orders

    @property
    def open_orders(self) -> dict[str, Order]:
        return self.book.open

    # ---- ids and events -------------------------------------------------------------

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def execution_id(self) -> str:
        return str(uuid.UUID(int=self._execution_ids.getrandbits(128), version=4))

    def emit(self, event: str, order: Order, now: datetime, **extra: Any) -> None:
        """Announce a change to `order` on trade_updates (every change goes through here)."""
        self.book.changed(order.symbol)  # every change to an order is announced here
        message = {
            "stream": "trade_updates",
            "data": {
                "event": event,
                "execution_id": extra.pop("execution_id", None) or self.execution_id(),
                "order": order.to_json(),
                "timestamp": ts(now),
                **extra,
            },
        }
        for listener in list(self.listeners):
            listener(message)

    # ---- account ----------------------------------------------------------------------

    def equity(self) -> Decimal:
        long_value, short_value = margin.market_values(self.positions, self.prices)
        return self.cash + long_value + short_value

    def multiplier(self) -> int:
        return margin.multiplier(self.equity(), self.last_equity, self.config["max_margin_multiplier"])

    def shorting_enabled(self) -> bool:
        return not self.config["no_shorting"] and self.equity() >= margin.MARGIN_MINIMUM

    def buying_power(self, exclude: str | None = None) -> tuple[Decimal, Decimal, Decimal]:
        """(buying_power, regt_buying_power, non_marginable_buying_power), after the
        reservations of open orders but `exclude`."""
        equity = self.equity()
        reserved = margin.reserved(self.book, self.prices, self.positions, exclude)
        initial = margin.requirement(self.positions, self.prices, margin.INITIAL)
        return margin.buying_power(self.cash, equity, initial, self.multiplier(), reserved)

    def account(self) -> dict[str, Any]:
        now = self.clock.now()
        long_value, short_value = margin.market_values(self.positions, self.prices)
        equity = self.cash + long_value + short_value
        bp, regt, non_marginable = self.buying_power()
        initial = margin.requirement(self.positions, self.prices, margin.INITIAL)
        maintenance = margin.requirement(self.positions, self.prices, margin.MAINTENANCE)
        body: dict[str, Any] = {
            "id": self.account_id,
            "admin_configurations": {},
            "user_configurations": None,
            "account_number": self.account_number,
            "status": "ACTIVE",
            "crypto_status": "ACTIVE",
            "options_approved_level": 0,
            "options_trading_level": 0,
            "currency": "USD",
            "buying_power": money(bp),
            "regt_buying_power": money(regt),
            "non_marginable_buying_power": money(non_marginable),
            "options_buying_power": money(non_marginable),
            "effective_buying_power": money(bp),
            "accrued_fees": "0",
            "pending_transfer_in": "0",
            "portfolio_value": money(equity),
            "trading_blocked": False,
            "transfers_blocked": False,
            "account_blocked": False,
            "created_at": ts(self.created_at),
            "trade_suspended_by_user": bool(self.config["suspend_trade"]),
            "multiplier": str(self.multiplier()),
            "shorting_enabled": self.shorting_enabled(),
            "equity": money(equity),
            "last_equity": money(self.last_equity),
            "long_market_value": money(long_value),
            "short_market_value": money(short_value),
            "position_market_value": money(long_value - short_value),
            "initial_margin": money(initial),
            "maintenance_margin": money(maintenance),
            "last_maintenance_margin": money(maintenance),
            "sma": money(max(ZERO, equity - initial)),
            "cash": money(self.cash),
            "balance_asof": self.hours.balance_date(now).isoformat(),
            "intraday_adjustments": "0",
            "pending_reg_taf_fees": "0",
        }
        if self.options.pdt == "legacy":
            count = self.daytrade_count(now)
            body["daytrade_count"] = count
            body["pattern_day_trader"] = daytrades.is_pattern_day_trader(count)
            body["daytrading_buying_power"] = money(bp if self.multiplier() == 4 else ZERO)
        return body

    def daytrade_count(self, now: datetime) -> int:
        return self.day_trades.count(self.hours.window(now))

    def configurations(self) -> dict[str, Any]:
        body = dict(self.config)
        if self.options.pdt != "legacy":
            body.pop("pdt_check")
            body.pop("dtbp_check")
        return body

    def set_configurations(self, changes: dict[str, Any]) -> dict[str, Any]:
        from .requests import to_bool

        if not isinstance(changes, dict):
            raise unprocessable("request body format is invalid")
        for key, value in changes.items():
            if key not in self.config:
                continue
            if key in ("fractional_trading", "no_shorting", "suspend_trade", "ptp_no_exception_entry"):
                self.config[key] = to_bool(value)
            elif key == "max_margin_multiplier":
                if str(value) not in ("1", "2", "4"):
                    raise unprocessable("max_margin_multiplier must be 1, 2 or 4")
                self.config[key] = str(value)
            else:
                self.config[key] = value
        return self.configurations()

    # ---- positions -----------------------------------------------------------------

    def position_qty(self, symbol: str) -> Decimal:
        pos = self.positions.get(symbol)
        return pos.qty if pos else ZERO

    def _position_json(self, pos: Position) -> dict[str, Any]:
        closing_side = "sell" if pos.qty > 0 else "buy"
        available = abs(pos.qty) - self.book.held_for_orders(pos.symbol, closing_side)
        sign = 1 if pos.qty > 0 else -1
        return pos.to_json(self.prices.quote(pos.symbol).last, self.prices.day(pos.symbol).prev_close, sign * max(ZERO, available))

    def list_positions(self) -> list[dict[str, Any]]:
        return [self._position_json(p) for p in sorted(self.positions.values(), key=lambda p: p.symbol)]

    def _find_position(self, symbol_or_id: str) -> Position:
        asset = self._asset(symbol_or_id)
        pos = self.positions.get(asset.symbol) if asset else None
        if pos is None:
            raise not_found("position does not exist")
        return pos

    def get_position(self, symbol_or_id: str) -> dict[str, Any]:
        return self._position_json(self._find_position(symbol_or_id))

    def close_position(self, symbol_or_id: str, qty: Decimal | None = None, percentage: Decimal | None = None) -> Order:
        pos = self._find_position(symbol_or_id)
        if qty is not None and percentage is not None:
            raise unprocessable("only one of qty or percentage may be specified")
        size = abs(pos.qty)
        if percentage is not None:
            if not 0 < percentage <= 100:
                raise unprocessable("percentage must be between 0 and 100")
            size = size * percentage / 100
            asset = self.assets[pos.symbol]
            size = size.quantize(FRACTION, ROUND_DOWN) if asset.fractionable else size.to_integral_value(ROUND_DOWN)
            if size <= 0:
                raise unprocessable("qty must be > 0")
        elif qty is not None:
            size = qty
        spec = OrderSpec(
            symbol=pos.symbol, side="sell" if pos.qty > 0 else "buy", type="market", time_in_force="day",
            qty=size, position_intent="sell_to_close" if pos.qty > 0 else "buy_to_close",
        )
        # The closing order passes the rules any order does: qty > 0, at most 9 decimals, no more
        # than is held (submit's "insufficient qty available"), whole shares unless fractionable.
        validate(spec)
        return self.submit(spec)

    def close_all_positions(self, cancel_orders: bool) -> list[dict[str, Any]]:
        if cancel_orders:
            self.cancel_all()
        results = []
        for symbol in sorted(self.positions):
            try:
                order = self.close_position(symbol)
                results.append({"symbol": symbol, "status": 200, "body": order.to_json()})
            except ApiError as err:
                results.append({"symbol": symbol, "status": err.status, "body": err.body()})
        return results

    # ---- assets ------------------------------------------------------------------------

    def _asset(self, symbol_or_id: str) -> Asset | None:
        return self.assets.get(symbol_or_id.upper()) or self.assets_by_id.get(symbol_or_id)

    def get_asset(self, symbol_or_id: str) -> Asset:
        asset = self._asset(symbol_or_id)
        if asset is None:
            raise not_found(f"asset not found for {symbol_or_id}")
        return asset

    # ---- orders: submission, queries, cancel and replace -----------------------------------

    def submit(self, spec: OrderSpec) -> Order:
        now = self.clock.now()
        asset = rules.check_submission(self, spec, now)
        return placement.place(self, spec, asset, now)

    def get_order(self, order_id: str) -> Order:
        return self.book.get(order_id)

    def get_by_client_id(self, client_order_id: str) -> Order:
        return self.book.get_by_client_id(client_order_id)

    def list_orders(self, status: str = "open", limit: int = 50, after: datetime | None = None,
                    until: datetime | None = None, direction: str = "desc", nested: bool = False,
                    symbols: Iterable[str] | None = None, side: str | None = None) -> list[Order]:
        return self.book.query(status, limit, after, until, direction, nested, symbols, side)

    def cancel(self, order_id: str) -> Order:
        order = self.get_order(order_id)
        if not order.is_open:
            raise unprocessable(f'order is already in "{order.status}" state')
        now = self.clock.now()
        self.finish(order, "canceled", now)
        for leg in order.legs:
            if leg.is_open:
                self.finish(leg, "canceled", now)
        return order

    def cancel_all(self) -> list[dict[str, Any]]:
        results = []
        for order in list(self.book.open.values()):
            parent = self.book.orders.get(order.parent_id) if order.parent_id else None
            if order.is_open and not (parent and parent.is_open):  # an open parent takes its legs along
                self.cancel(order.id)
                results.append({"id": order.id, "status": 200, "body": order.to_json()})
        return results

    def replace(self, order_id: str, spec: ReplaceSpec) -> Order:
        old = self.get_order(order_id)
        whole = rules.check_replacement(self, old, spec)
        return placement.replace(self, old, whole, self.clock.now())

    def finish(self, order: Order, status: str, now: datetime) -> None:
        """An open order ends (canceled or expired): out of the open book, stamped, announced."""
        order.status = status
        self.book.unlist(order)
        order.touch(now)
        if status == "canceled":
            order.canceled_at = now
        elif status == "expired":
            order.expired_at = now
        self.emit(status, order, now)

    # ---- time passing ---------------------------------------------------------------------

    def tick(self) -> None:
        """Advance the market: roll the day if it ended, move prices, execute what can."""
        now, mono = self.clock.now(), self.clock.monotonic()
        rollover.catch_up(self, now)
        step = self.prices.step_seconds
        if mono - self._last_price_step >= step:
            # On the step's own schedule, so ticks a little late do not slow the rate down;
            # a tick far behind (a busy loop) starts the schedule again rather than catch up.
            self._last_price_step += step
            if mono - self._last_price_step >= step:
                self._last_price_step = mono
            if self.hours.prices_move(now):  # no session, no trades: quotes stand still
                self.prices.step(now)
                if self.prices.moving and self.quote_listeners:
                    self._quotes_changed(list(self.prices.closes()))
        if mono - self._last_equity_sample >= EQUITY_SAMPLE_SECONDS:
            self._last_equity_sample = mono
            self.equity_history.append((now, self.equity()))
            del self.equity_history[:-EQUITY_SAMPLES_KEPT]
        matching.match(self, now, mono)

    @staticmethod
    def _step_seconds(quote_rate: float) -> float:
        if not 0 < quote_rate <= MAX_QUOTE_RATE:
            raise ValueError(f"quote_rate must be above 0 and at most {MAX_QUOTE_RATE:g}")
        return PRICE_STEP_SECONDS / quote_rate

    def set_price(self, symbol: str, price: Decimal) -> Quote:
        asset = self._asset(symbol)
        if asset is None:
            raise unprocessable(f'asset "{symbol}" not found')
        now = self.clock.now()
        rollover.catch_up(self, now)  # a price set after an order's end must not fill it
        quote = self.prices.set_price(asset.symbol, price, now)
        self._quotes_changed([asset.symbol])
        matching.match(self, now, self.clock.monotonic())
        return quote

    def execute_on_demand(self, order_id: str, qty: Decimal) -> Order:
        """A test's partial (or whole) fill when it wants one: matching.execute_on_demand."""
        order = self.get_order(order_id)
        now = self.clock.now()
        rollover.catch_up(self, now)
        matching.execute_on_demand(self, order, qty, now)
        return order

    def _quotes_changed(self, symbols: list[str]) -> None:
        if not self.quote_listeners:
            return
        quotes = [self.prices.quote(symbol) for symbol in symbols]
        for listener in list(self.quote_listeners):
            listener(quotes)

    # ---- activities and history ---------------------------------------------------------

    def activities_page(self, query: activities.ActivityQuery) -> list[dict[str, Any]]:
        return activities.query(self.activities, self.cash_activities, query, self.account_id)

    def portfolio_history(self, query: history.HistoryQuery | None = None) -> dict[str, Any]:
        now = self.clock.now()
        points = [*heapq.merge(self.daily_equity, self.equity_history, key=lambda p: p[0]), (now, self.equity())]
        record = history.Record(points, self.cash_activities, self.hours, now, self.created_at,
                                closes=frozenset(at for at, _ in self.daily_equity), seed=self.options.seed)
        return history.portfolio_history(query or history.HistoryQuery(), record)
