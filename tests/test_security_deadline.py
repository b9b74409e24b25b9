"""A request has a deadline for its whole answer, not only per read: a server that trickles
a byte at a time ends like a dead one (a transport failure; an order's outcome unknown).
And figures from the market-data feed pass the number gate."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from alpaca.trading.requests import MarketOrderRequest

from tui.broker.client import Broker
from tui.broker.delivery import Dispatcher
from tui.broker.errors import describe
from tui.broker.journal import Journal
from tui.config import Config, Mode

from .conftest import KEY, SECRET
from .hostile import hostile  # noqa: F401  (the fixture)

# Short, so the tests do not sit out the app's 15 s: what is tested is that the whole
# answer has a deadline while every single read comes well within the 10 s read timeout.
DEADLINE = 0.6


def broker_for(url: str, deadline: float = DEADLINE) -> Broker:
    return Broker(Config(Mode.PAPER, url, url, KEY, SECRET, request_timeout=10.0, request_deadline=deadline))


def order(coid: str = "tui-slow") -> MarketOrderRequest:
    return MarketOrderRequest(symbol="AAPL", qty=1, side="buy", time_in_force="day", client_order_id=coid)


def fails_in_time(call) -> object:
    started = time.monotonic()
    with pytest.raises(Exception) as failed:
        call()
    took = time.monotonic() - started
    assert DEADLINE - 0.1 < took < DEADLINE + 1.0, f"took {took:.2f} s"  # ended by the deadline, not before
    return failed.value


@pytest.mark.parametrize("trickle", ["body", "headers"])
def test_a_trickling_server_fails_the_request_at_the_deadline(hostile, make_sim, trickle):
    fake = hostile(upstream=make_sim().url)
    how = {"trickle": (1, 0.1)} if trickle == "body" else {"trickle_headers": (1, 0.1)}
    fake.answer("POST", "/v2/orders", json={"id": "x" * 400}, **how)  # a byte every 0.1 s: each read is quick
    broker = broker_for(fake.url)
    problem = describe(fails_in_time(lambda: broker.submit(order())))
    assert problem.transport and problem.status is None
    assert broker.account().status is not None  # the next request, on a fresh connection, works


def test_a_slow_but_steady_answer_within_the_deadline_is_fine(hostile, make_sim):
    fake = hostile(upstream=make_sim().url)
    fake.answer("GET", "/v2/clock", json={"timestamp": "2026-11-23T10:30:00-05:00", "is_open": True,
                                          "next_open": "2026-11-24T09:30:00-05:00",
                                          "next_close": "2026-11-23T16:00:00-05:00"}, trickle=(20, 0.04))
    started = time.monotonic()
    assert broker_for(fake.url).clock().is_open
    assert time.monotonic() - started > 0.2  # it was slow (8 pieces, 0.04 s apart), and still came


def test_an_order_through_a_trickling_server_ends_unknown(hostile, make_sim, tmp_path):
    fake = hostile(upstream=make_sim().url)
    fake.answer("POST", "/v2/orders", json={"id": "x" * 400}, trickle=(1, 0.1))
    fake.answer("GET", "/v2/orders:by_client_order_id", json={"id": "x" * 400}, trickle_headers=(1, 0.1))
    journal = Journal(tmp_path / "audit.jsonl", mode="paper", endpoint=fake.url)
    send = Dispatcher(broker_for(fake.url), journal, deadline=DEADLINE, sleep=lambda _: None)
    started = time.monotonic()
    delivery = send.order(order("tui-trickled"), "tui-trickled", {"symbol": "AAPL"})
    assert delivery.state == "unknown" and delivery.problem.transport
    assert time.monotonic() - started < 2 * DEADLINE + 2.0
    assert [p["client_order_id"] for p in journal.pending()] == ["tui-trickled"]


def snapshot(bid, ask, last) -> dict:
    return {"AAPL": {
        "latestQuote": {"t": "2026-11-23T15:30:00Z", "ax": "V", "ap": ask, "as": 1, "bx": "V", "bp": bid, "bs": 1,
                        "c": ["R"], "z": "C"},
        "latestTrade": {"t": "2026-11-23T15:30:00Z", "x": "V", "p": last, "s": 1, "c": ["@"], "i": 1, "z": "C"},
        "minuteBar": None, "dailyBar": None, "prevDailyBar": None}}


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "1e400", "-1e400", "1e20"])
def test_a_quote_that_is_no_number_comes_back_as_none(hostile, bad):
    fake = hostile()
    body = b'{"AAPL": {"latestQuote": {"t": "2026-11-23T15:30:00Z", "ax": "V", "ap": %s, "as": 1, "bx": "V", ' \
           b'"bp": 101.5, "bs": 1, "c": ["R"], "z": "C"}, "latestTrade": {"t": "2026-11-23T15:30:00Z", "x": "V", ' \
           b'"p": %s, "s": 1, "c": ["@"], "i": 1, "z": "C"}}}' % (bad.encode(), bad.encode())
    fake.answer("GET", "/v2/stocks/snapshots", body=body, headers={"Content-Type": "application/json"})
    assert broker_for(fake.url).quote("AAPL") == (Decimal("101.5"), None, None)


def test_a_sane_quote_is_unchanged(hostile):
    fake = hostile()
    fake.answer("GET", "/v2/stocks/snapshots", json=snapshot(101.5, 101.75, 101.6))
    assert broker_for(fake.url).quote("AAPL") == (Decimal("101.5"), Decimal("101.75"), Decimal("101.6"))
