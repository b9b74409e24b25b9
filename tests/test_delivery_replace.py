"""Modify (PATCH /v2/orders/{id}) through the Dispatcher: journaled, and one confirmation
is at most one live replacement — after an ambiguous failure (a lost answer, a dropped
connection, a 5xx) the replacement is looked up by its client_order_id before anything
is sent again."""

from __future__ import annotations

from decimal import Decimal

import requests
from alpaca.trading.enums import QueryOrderStatus
from alpaca.trading.requests import GetOrdersRequest, LimitOrderRequest

from tui.broker.delivery import Dispatcher

from .harness.simulator import HEADERS, wait_for
from .test_delivery import all_orders, dispatcher, journal_lines


def resting(sim, n: int = 1, symbol: str = "AAPL") -> list[str]:
    return [str(sim.client.submit_order(LimitOrderRequest(
        symbol=symbol, qty=1, side="buy", time_in_force="gtc", limit_price=Decimal("1.00"))).id) for _ in range(n)]


def open_orders(sim) -> list:
    return list(sim.client.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN, limit=500)))


class Flaky:
    """The broker, with the replace failing in transport `before` or `after` it reached the
    server, `times` times."""

    def __init__(self, broker, when: str, times: int = 1) -> None:
        self._broker, self.when, self.left = broker, when, times

    def __getattr__(self, name):
        return getattr(self._broker, name)

    def replace(self, order_id, changes, client_order_id):
        if self.left > 0:
            self.left -= 1
            if self.when == "after":
                self._broker.replace(order_id, changes, client_order_id)
            raise requests.ConnectionError("connection reset by peer")
        return self._broker.replace(order_id, changes, client_order_id)


def test_a_replace_makes_a_new_order_and_the_old_one_is_replaced(make_sim, tmp_path):
    sim = make_sim()
    [old] = resting(sim)
    send, journal, _ = dispatcher(sim, tmp_path)
    delivery = send.replace(old, {"limit_price": Decimal("1.50")}, "tui-r1", {"label": "BUY 1 AAPL"})
    assert delivery.state == "done" and delivery.sends == 1
    new = delivery.result
    assert str(new.id) != old and new.client_order_id == "tui-r1" and Decimal(str(new.limit_price)) == Decimal("1.5")
    was = sim.client.get_order_by_id(old)
    assert was.status.value == "replaced" and str(was.replaced_by) == str(new.id)
    lines = journal_lines(journal)
    assert [line["event"] for line in lines] == ["intent", "outcome"]
    assert lines[0]["action"] == "replace" and lines[0]["client_order_id"] == "tui-r1"
    assert lines[0]["what"]["order_id"] == old and lines[0]["what"]["changes"] == {"limit_price": "1.50"}
    assert lines[1]["result"] == "accepted" and lines[1]["order_id"] == str(new.id) and lines[1]["replaces"] == old


def test_a_lost_answer_after_the_replace_took_effect_is_found_and_not_sent_again(make_sim, tmp_path):
    sim = make_sim()
    [old] = resting(sim)
    send, journal, broker = dispatcher(sim, tmp_path)
    send.broker = Flaky(broker, "after")
    delivery = send.replace(old, {"qty": Decimal(3), "limit_price": Decimal("1.25")}, "tui-r2", {})
    assert delivery.state == "done" and delivery.sends == 1
    assert "found on the server" in delivery.note
    live = open_orders(sim)
    assert len(live) == 1 and live[0].client_order_id == "tui-r2"
    assert Decimal(str(live[0].qty)) == 3 and Decimal(str(live[0].limit_price)) == Decimal("1.25")
    assert sim.client.get_order_by_id(old).status.value == "replaced"
    assert journal.pending() == []


def test_a_replace_lost_before_it_arrived_is_sent_once_more_with_the_same_id(make_sim, tmp_path):
    sim = make_sim()
    [old] = resting(sim)
    send, _, broker = dispatcher(sim, tmp_path)
    send.broker = Flaky(broker, "before")
    delivery = send.replace(old, {"limit_price": Decimal("1.10")}, "tui-r3", {})
    assert delivery.state == "done" and delivery.sends == 2 and "sent again" in delivery.note
    live = open_orders(sim)
    assert [(o.client_order_id, Decimal(str(o.limit_price))) for o in live] == [("tui-r3", Decimal("1.1"))]


def test_a_replace_never_answered_is_sent_at_most_twice_and_left_unknown(make_sim, tmp_path):
    sim = make_sim()
    [old] = resting(sim)
    send, journal, broker = dispatcher(sim, tmp_path)
    send.broker = Flaky(broker, "before", times=5)
    delivery = send.replace(old, {"limit_price": Decimal("1.10")}, "tui-r4", {})
    assert delivery.state == "unknown" and delivery.sends == 2
    assert [o.id for o in open_orders(sim)] == [sim.client.get_order_by_id(old).id]  # untouched
    [pending] = journal.pending()
    settled = Dispatcher(broker, journal).settle_pending()
    assert [answer for _, answer in settled] == ["the order was not replaced"] and pending["action"] == "replace"


def test_replaces_under_lost_answers_and_failures_leave_one_live_order_each(make_sim, tmp_path):
    sim = make_sim(seed=11)
    olds = resting(sim, 25)
    sim.set_faults(fail_rate=0.3, fail_statuses=[504])  # every failure comes after the request took effect
    send, journal, _ = dispatcher(sim, tmp_path)
    deliveries = [send.replace(old, {"limit_price": Decimal("1.20")}, f"tui-m-{n}", {}) for n, old in enumerate(olds)]
    faults = sim.set_faults(fail_rate=0)
    assert faults["injected"].get("504", 0) >= 5
    assert [d.state for d in deliveries] == ["done"] * 25
    assert any("found on the server" in d.note for d in deliveries)
    live = open_orders(sim)
    assert sorted(o.client_order_id for o in live) == sorted(f"tui-m-{n}" for n in range(25))
    assert {Decimal(str(o.limit_price)) for o in live} == {Decimal("1.2")}
    assert len(all_orders(sim)) == 50  # 25 replaced + 25 live: nothing more
    assert journal.pending() == []


def test_mixed_failures_never_make_two_live_replacements(make_sim, tmp_path):
    sim = make_sim(seed=5)
    olds = resting(sim, 20)
    sim.set_faults(fail_rate=0.3)  # 500 and 503 before acting, 504 after
    send, _, _ = dispatcher(sim, tmp_path)
    deliveries = [send.replace(old, {"limit_price": Decimal("1.30")}, f"tui-x-{n}", {}) for n, old in enumerate(olds)]
    sim.set_faults(fail_rate=0)
    assert "refused" not in {d.state for d in deliveries}
    live = open_orders(sim)
    assert len(live) == 20  # one live order per original: never two
    by_coid = {o.client_order_id: o for o in live}
    for n, delivery in enumerate(deliveries):
        if delivery.state == "done":
            assert Decimal(str(by_coid[f"tui-x-{n}"].limit_price)) == Decimal("1.3")


def test_a_refused_replace_is_reported_with_alpacas_code_and_never_resent(make_sim, tmp_path):
    sim = make_sim()
    [old] = resting(sim)
    send, journal, _ = dispatcher(sim, tmp_path)
    delivery = send.replace(old, {"qty": Decimal(10_000_000)}, "tui-r5", {})
    assert delivery.state == "refused" and delivery.sends == 1
    assert delivery.problem.status == 403 and delivery.problem.code == 40310000
    assert "buying power" in delivery.problem.message
    assert sim.client.get_order_by_id(old).status.value in ("new", "pending_new", "accepted")
    assert journal_lines(journal)[-1]["error"]["code"] == 40310000


def test_a_replace_below_the_filled_qty_is_refused_and_changes_nothing(make_sim, tmp_path):
    sim = make_sim()
    order = sim.client.submit_order(LimitOrderRequest(
        symbol="AAPL", qty=10, side="buy", time_in_force="gtc", limit_price=Decimal("1.00")))
    wait_for(lambda: sim.client.get_order_by_id(order.id).status.value == "new")
    # POST /sim/fill: 4 of the 10 execute now; at $1 the rest waits, the order partially filled.
    filled = requests.post(sim.url + "/sim/fill", json={"order_id": str(order.id), "qty": "4"},
                           headers=HEADERS, timeout=5)
    assert filled.status_code == 200 and filled.json()["status"] == "partially_filled"
    before = sim.client.get_order_by_id(order.id)
    send, journal, _ = dispatcher(sim, tmp_path)
    delivery = send.replace(str(order.id), {"qty": Decimal(3)}, "tui-r6", {})
    assert delivery.state == "refused" and delivery.sends == 1
    assert (delivery.problem.status, delivery.problem.code) == (422, 42210000)
    assert delivery.problem.message == "qty must be greater than filled_qty"
    assert journal_lines(journal)[-1]["error"]["code"] == 42210000
    after = sim.client.get_order_by_id(order.id)
    assert after == before and after.status.value == "partially_filled"
    assert (Decimal(str(after.qty)), Decimal(str(after.filled_qty))) == (10, 4)
    assert [str(o.id) for o in all_orders(sim)] == [str(order.id)]  # no replacement was made
    assert Decimal(sim.client.get_open_position("AAPL").qty) == 4
