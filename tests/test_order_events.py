"""OrderGate: an order's state never moves backwards, and an execution counts once."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from tui.broker.order_events import OrderGate

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)


def order(status: str, at: datetime, order_id: str = "o1") -> SimpleNamespace:
    return SimpleNamespace(id=order_id, status=status, updated_at=at)


def test_a_late_new_after_the_fill_is_refused():
    gate = OrderGate()
    assert gate.admit(order("new", T0))
    assert gate.admit(order("filled", T0 + timedelta(seconds=1)))
    assert not gate.admit(order("new", T0))  # delivered late
    assert not gate.admit(order("new", T0 + timedelta(seconds=5)))  # even with a later stamp: filled is final
    assert gate.is_final("o1", T0)


def test_the_same_moment_never_goes_back_a_stage():
    gate = OrderGate()
    assert gate.admit(order("partially_filled", T0))
    assert not gate.admit(order("new", T0))
    assert gate.admit(order("filled", T0))


def test_an_execution_counts_once():
    gate = OrderGate()
    assert gate.first_execution("e1") and not gate.first_execution("e1") and gate.first_execution("e2")
    assert gate.first_execution("") and gate.first_execution(None)  # no id: never a duplicate


def test_memory_is_bounded():
    gate = OrderGate(memory=10)
    for n in range(100):
        gate.admit(order("new", T0, f"o{n}"))
        gate.first_execution(f"e{n}")
    assert len(gate._orders) == 10 and len(gate._executions) == 10


def test_stopped_is_not_an_end():
    """Alpaca's `stopped`: a trade is guaranteed, the order is still working."""
    gate = OrderGate()
    assert gate.admit(order("stopped", T0))
    assert gate.admit(order("partially_filled", T0 + timedelta(seconds=1)))
    assert not gate.is_final("o1")
