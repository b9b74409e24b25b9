"""One confirmation, at most one order — against a simulator that fails a share of the
requests (500/503 before acting, 504 after) — and every action in the journal."""

from __future__ import annotations

import json
import random
import time
from decimal import Decimal

import pytest
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest

from tui.broker.client import Broker
from tui.broker.delivery import Dispatcher
from tui.broker.journal import Journal
from tui.broker.ratelimit import Budget

from .ui_support import config_for

class FastTime:
    """The real back-off schedule, taken in no time: each pause counts on the Dispatcher's
    clock as if it had been waited, so deadlines fall where they would (real time counts too)."""

    def __init__(self) -> None:
        self.slept = 0.0

    def sleep(self, seconds: float) -> None:
        self.slept += seconds

    def clock(self) -> float:
        return time.monotonic() + self.slept


def dispatcher(sim, tmp_path, *, deadline: float = 30.0) -> tuple[Dispatcher, Journal, Broker]:
    broker = Broker(config_for(sim.url), Budget(limit=100_000))  # the simulator here has no limit
    journal = Journal(tmp_path / "audit.jsonl", mode="paper", endpoint=sim.url)
    fast = FastTime()
    return Dispatcher(broker, journal, deadline=deadline, sleep=fast.sleep, clock=fast.clock), journal, broker


def journal_lines(journal: Journal) -> list[dict]:
    return [json.loads(line) for line in journal.path.read_text().splitlines()]


def all_orders(sim) -> list:
    from alpaca.trading.enums import QueryOrderStatus
    from alpaca.trading.requests import GetOrdersRequest

    return list(sim.client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=500)))


def test_200_confirmations_under_a_30_percent_fail_rate_make_exactly_200_orders(make_sim, tmp_path):
    sim = make_sim(seed=7)
    sim.set_faults(fail_rate=0.3)
    send, journal, _ = dispatcher(sim, tmp_path)
    pick = random.Random(42)
    symbols = ["AAPL", "MSFT", "NVDA", "INTC", "AMD", "F"]
    deliveries = []
    for n in range(200):
        symbol = pick.choice(symbols)  # buys only: a sell against our own resting buy is a wash trade
        coid = f"tui-test-{n}"
        if pick.random() < 0.5:
            request = MarketOrderRequest(symbol=symbol, qty=pick.randint(1, 3), side="buy",
                                         time_in_force="day", client_order_id=coid)
        else:
            request = LimitOrderRequest(symbol=symbol, qty=pick.randint(1, 3), side="buy", time_in_force="gtc",
                                        limit_price=Decimal("1.00"), client_order_id=coid)
        deliveries.append(send.order(request, coid, {"symbol": symbol, "n": n}))
    faults = sim.set_faults(fail_rate=0)
    assert sum(faults["injected"].values()) >= 60, "the faults must really have been exercised"
    assert [(d.state, str(d.problem)) for d in deliveries if d.state != "done"] == []
    orders = all_orders(sim)
    assert len(orders) == 200
    assert sorted(o.client_order_id for o in orders) == sorted(f"tui-test-{n}" for n in range(200))
    assert any("found on the server" in d.note for d in deliveries), "some answers were lost (504) and found"
    assert any("sent again" in d.note for d in deliveries), "some sends failed before acting and were repeated"
    lines = journal_lines(journal)
    assert [line["event"] for line in lines] == ["intent", "outcome"] * 200
    assert {line["result"] for line in lines if line["event"] == "outcome"} == {"accepted"}
    assert journal.pending() == []


def test_a_refusal_is_reported_once_and_never_resent(make_sim, tmp_path):
    sim = make_sim()
    send, journal, _ = dispatcher(sim, tmp_path)
    request = MarketOrderRequest(symbol="AAPL", qty=100000, side="buy", time_in_force="day",
                                 client_order_id="tui-big")
    delivery = send.order(request, "tui-big", {})
    assert delivery.state == "refused" and delivery.sends == 1
    assert delivery.problem.status == 403 and delivery.problem.code == 40310000
    assert journal_lines(journal)[-1]["error"]["code"] == 40310000 and all_orders(sim) == []


def test_cancels_under_faults_end_with_every_order_canceled(make_sim, tmp_path):
    sim = make_sim(seed=3)
    ids = [str(sim.client.submit_order(LimitOrderRequest(
        symbol="AAPL", qty=1, side="buy", time_in_force="gtc", limit_price=Decimal("1.00"))).id) for _ in range(30)]
    sim.set_faults(fail_rate=0.3)
    send, journal, _ = dispatcher(sim, tmp_path)
    deliveries = [send.cancel(order_id, {"label": order_id}) for order_id in ids]
    sim.set_faults(fail_rate=0)
    assert [d.state for d in deliveries] == ["done"] * 30
    assert {o.status.value for o in all_orders(sim)} == {"canceled"}
    assert journal.pending() == []


def test_a_close_whose_answer_was_lost_is_found_and_never_sent_twice(make_sim, tmp_path):
    sim = make_sim(portfolio="sample", seed=5)
    held = {p.symbol: p.qty for p in sim.client.get_all_positions()}
    sim.set_faults(fail_rate=0.5, fail_statuses=[504])  # every failure comes after the close was made
    send, _, _ = dispatcher(sim, tmp_path)
    deliveries = {symbol: send.close(symbol, None, {"label": symbol}) for symbol in held}
    sim.set_faults(fail_rate=0)
    assert {s: d.state for s, d in deliveries.items()} == {s: "done" for s in held}
    assert any("found on the server" in d.note for d in deliveries.values())
    closing = [o for o in all_orders(sim) if o.type.value == "market"]
    assert sorted(o.symbol for o in closing) == sorted(held)  # exactly one closing order each
    assert all(d.sends == 1 for d in deliveries.values())


def test_no_server_means_unknown_and_the_next_start_settles_it(make_sim, tmp_path):
    sim = make_sim()
    send, journal, broker = dispatcher(sim, tmp_path, deadline=1.0)
    sim.set_faults(fail_rate=1.0, fail_statuses=[504])  # the order is made; no answer ever says so
    request = MarketOrderRequest(symbol="AAPL", qty=1, side="buy", time_in_force="day", client_order_id="tui-lost")
    delivery = send.order(request, "tui-lost", {"symbol": "AAPL", "side": "buy", "qty": "1"})
    assert delivery.state == "unknown" and "504" in str(delivery.problem)
    journal.intent("order", {"symbol": "MSFT"}, "tui-never-sent")  # killed before sending
    assert [p["client_order_id"] for p in journal.pending()] == ["tui-lost", "tui-never-sent"]

    sim.set_faults(fail_rate=0)
    settled = Dispatcher(broker, journal).settle_pending()
    answers = {intent["client_order_id"]: answer for intent, answer in settled}
    assert answers["tui-lost"].startswith("the order was placed")
    assert answers["tui-never-sent"] == "the order was never placed"
    assert journal.pending() == []


def test_an_unwritable_journal_stops_the_send(make_sim, tmp_path):
    sim = make_sim()
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    broker = Broker(config_for(sim.url))
    send = Dispatcher(broker, Journal(blocker / "audit.jsonl", mode="paper", endpoint=sim.url))
    from tui.broker.journal import JournalError

    with pytest.raises(JournalError):
        send.order(MarketOrderRequest(symbol="AAPL", qty=1, side="buy", time_in_force="day",
                                      client_order_id="tui-x"), "tui-x", {})
    assert all_orders(sim) == []
