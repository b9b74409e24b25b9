"""The account state without Textual: snapshots, events applied, the refresh schedule and
the loaders, against the simulator through the real Broker (no Pilot)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest

from tui.broker.client import Broker
from tui.broker.errors import Problem
from tui.state.account import AccountState
from tui.state.loaders import load_orders, load_positions
from tui.state.orders import accept_orders, apply_events, order_version, parse_order
from tui.state.refresh import LATE, PROBE_MAX, PROBE_MIN, RefreshSchedule

from .conftest import wait_for
from .ui_support import config_for


@pytest.fixture
def broker(sim):
    return Broker(config_for(sim.url))


def raw(order) -> dict:
    """An order as the stream sends it (JSON), from alpaca-py's model."""
    return order.model_dump(mode="json")


def resting_order(sim, symbol="AAPL", price="1.00"):
    return sim.client.submit_order(LimitOrderRequest(symbol=symbol, qty=1, side=OrderSide.BUY,
                                                     time_in_force=TimeInForce.GTC, limit_price=price))


def event(name: str, order_json: dict, **extra) -> tuple[dict, object]:
    data = {"event": name, "order": order_json, **extra}
    return data, parse_order(order_json)


def test_a_snapshot_held_by_a_worker_never_changes_under_it(sim):
    state = AccountState()
    order = resting_order(sim)
    held = state.snapshot  # what a loader thread would be reading
    applied = apply_events(state, [event("new", raw(order))])
    assert applied.orders_changed and str(order.id) in state.orders
    assert held.orders == {} and held.versions == {}  # the old snapshot is untouched
    with pytest.raises(AttributeError):
        state.snapshot.account = object()  # frozen: a change is a new snapshot


def test_events_open_fill_and_end_orders_each_fill_counted_once(sim):
    state = AccountState()
    order = resting_order(sim)
    new = raw(order)
    apply_events(state, [event("new", new)])
    sim.set_price("AAPL", "0.90")  # the limit crosses: filled
    filled = raw(wait_for(lambda: (o := sim.client.get_order_by_id(order.id)).status == "filled" and o))
    fill = event("fill", filled, execution_id="x1", qty="1", price="1.00", timestamp=filled["filled_at"])
    applied = apply_events(state, [fill, fill, event("new", new)])  # the fill twice, then a late `new`
    assert str(order.id) not in state.orders
    assert [f.id for f in state.fills] == ["x1"] and len(applied.fills) == 1
    assert "new" not in [name for name, _ in applied.news]  # the late `new` was not news


def test_rest_cannot_bring_back_an_order_the_stream_saw_end(sim):
    state = AccountState()
    order = resting_order(sim)
    stale = {str(order.id): order}  # a REST answer read before the cancel
    sim.client.cancel_order_by_id(order.id)
    apply_events(state, [event("canceled", raw(sim.client.get_order_by_id(order.id)))])
    accept_orders(state, dict(stale), {str(order.id): order_version(order)})
    assert state.orders == {}


def test_an_unreadable_order_asks_for_a_rest_read():
    state = AccountState()
    applied = apply_events(state, [({"event": "new", "order": {"id": "x", "status": "??"}}, None)])
    assert applied.refetch_orders and not applied.orders_changed and state.orders == {}


def bought(sim, symbol: str, qty: int) -> None:
    placed = sim.client.submit_order(MarketOrderRequest(symbol=symbol, qty=qty, side=OrderSide.BUY,
                                                        time_in_force=TimeInForce.DAY))
    wait_for(lambda: sim.client.get_order_by_id(placed.id).status == "filled")


def test_loaders_read_positions_with_the_account_and_skip_unchanged_orders(sim, broker):
    bought(sim, "MSFT", 3)
    resting_order(sim)
    state = AccountState()
    read = load_positions(broker, state.snapshot, rows=len)
    assert [p.symbol for p in read.positions] == ["MSFT"] and read.rows == 1 and not read.problems
    assert Decimal(read.account.equity) == Decimal(sim.client.get_account().equity)
    orders = load_orders(broker, state.snapshot)
    assert orders is not None and len(orders.orders) == 1
    accept_orders(state, orders.orders, orders.versions)
    assert load_orders(broker, state.snapshot) is None  # what is shown: nothing to hand the UI


def test_the_account_part_answers_when_positions_fail(sim, broker):
    class HalfBroken:
        def positions(self):
            raise RuntimeError("positions down")

        def account(self):
            return broker.account()

    read = load_positions(HalfBroken(), AccountState().snapshot, rows=len)
    assert read.account is not None and "positions" in read.problems and "account" not in read.problems


def test_holding_and_counts_come_from_the_snapshot(sim, broker):
    bought(sim, "MSFT", 5)
    state = AccountState(now=lambda: datetime.now(timezone.utc))
    read = load_positions(broker, state.snapshot, rows=len)
    state.swap(positions=read.positions, account=read.account)
    assert state.position_qty("MSFT") == 5 and state.position_qty("AAPL") == 0
    assert state.holding("MSFT").qty == 5
    assert state.open_order_counts() == (0, 0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def schedule(clock: FakeClock) -> RefreshSchedule:
    return RefreshSchedule({"positions": ("positions", "account"), "clock": ("clock",), "fills": ("fills",)},
                           first=["positions", "account", "clock"], probe="clock", clock=clock)


def test_a_fetch_never_runs_twice_at_once_and_runs_again_once_when_asked_during():
    s = schedule(FakeClock())
    assert s.start("account") == "positions"  # the account comes with the positions
    assert s.start("positions") is None and s.start("account") is None
    s.ended("positions")
    assert s.wants_again("positions") and not s.wants_again("positions")


def test_the_first_round_ends_with_the_last_first_part_and_fills_wait_for_it():
    clock = FakeClock()
    s = schedule(clock)
    assert s.due(lambda name: 5.0) == ["positions", "clock"]
    s.start("positions"), s.start("clock")
    s.ended("positions")
    assert not s.succeeded("positions").first_round_done and not s.succeeded("account").first_round_done
    s.ended("clock")
    assert s.failed("clock", Problem("refused", 403)).first_round_done  # a failure answers too
    clock.now += 10
    assert set(s.due(lambda name: 5.0)) == {"positions", "clock", "fills"}


def test_offline_probes_back_off_and_the_first_answer_brings_everything_back():
    clock = FakeClock()
    s = schedule(clock)
    s.start("clock")
    s.ended("clock")
    assert s.failed("clock", Problem("connection refused", transport=True)).new_problem
    assert s.offline and s.due(lambda name: 1.0) == []
    probes = []
    for _ in range(40):
        clock.now += 0.5
        if s.due(lambda name: 1.0):
            probes.append(clock.now)
    gaps = [b - a for a, b in zip(probes, probes[1:])]
    assert gaps and max(gaps) <= PROBE_MAX and gaps[0] >= PROBE_MIN
    answer = s.succeeded("clock")
    assert answer.back_online and answer.recovered and not s.offline


def test_notes_say_how_old_the_data_is_or_how_long_the_wait():
    clock = FakeClock()
    s = schedule(clock)
    s.start("positions")
    clock.now += LATE + 1
    assert s.note("account") == "waiting 6s for the server"
    s.ended("positions")
    s.succeeded("positions"), s.succeeded("account")
    clock.now += 30
    s.failed("positions", Problem("server error", 500))
    assert s.note("positions") == "last data 30s ago" and s.note("account") == ""
    assert s.data_age(["account", "positions"]) == 30 and s.data_age(["clock"]) is None
