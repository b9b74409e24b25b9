"""The client's request budget: room kept for the user's actions, the server's count
respected, and a 429 waited out instead of hammered. Driven by a fake clock (time is the
one thing these tests cannot wait for), then once against the simulator's real limiter."""

from __future__ import annotations

import threading

import pytest

from tui.broker.client import Broker
from tui.broker.ratelimit import Budget, BudgetExceeded

from .ui_support import config_for


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_800_000_000 + self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def budget(limit: int = 20) -> tuple[Budget, FakeTime]:
    t = FakeTime()
    return Budget(limit, clock=t.clock, wall=t.wall, sleep=t.sleep), t


def test_refreshes_leave_a_reserve_that_user_actions_can_use():
    b, t = budget(20)
    for _ in range(18):  # 20 less the 10 % reserve
        b.acquire(max_wait=0)
    with pytest.raises(BudgetExceeded):
        b.acquire(max_wait=0)
    with b.urgent():
        b.acquire(max_wait=0)
        b.acquire(max_wait=0)
        with pytest.raises(BudgetExceeded):  # the whole budget is used now
            b.acquire(max_wait=0)
    assert b.last_minute() == 20 and t.slept == []


def test_a_full_window_waits_for_the_oldest_request_to_age_out():
    b, t = budget(20)
    for _ in range(18):
        b.acquire()
    b.acquire()  # blocks (fake sleeps) until the first request is a minute old
    assert sum(t.slept) == pytest.approx(60, abs=0.01)
    assert b.last_minute() == 1


def test_the_servers_lower_count_wins():
    b, t = budget(200)
    b.note_answer(200, {"X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "5",
                        "X-RateLimit-Reset": str(int(t.wall()) + 30)})
    with pytest.raises(BudgetExceeded):  # another program spent the budget: refreshes wait
        b.acquire(max_wait=1)
    with b.urgent():
        b.acquire(max_wait=0)
    b.acquire(max_wait=40)  # after the server's reset there is room again
    assert t.now - 1000 >= 29


def test_a_429_pauses_everything_until_the_reset():
    b, t = budget(200)
    b.note_answer(429, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(t.wall()) + 12)})
    assert b.blocked_for() == pytest.approx(12, abs=1)
    with b.urgent(), pytest.raises(BudgetExceeded):
        b.acquire(max_wait=5)
    b.acquire(max_wait=20)
    assert t.now - 1000 >= 11.5


def test_a_429_without_a_usable_reset_backs_off_more_each_time():
    b, _ = budget(200)
    pauses = []
    for _ in range(3):
        b.note_answer(429, {"X-RateLimit-Reset": "not a number"})
        pauses.append(round(b.blocked_for()))
        b._blocked_until = 0  # as if the pause had passed
    assert pauses == [1, 2, 4]
    b.note_answer(200, {})
    b.note_answer(429, {})
    assert round(b.blocked_for()) == 1  # a success resets the back-off


def test_malformed_headers_never_break_a_request():
    b, _ = budget(200)
    b.note_answer(200, {"X-RateLimit-Limit": "lots", "X-RateLimit-Remaining": None})
    b.note_answer(200, None)
    assert b.limit == 200 and b.remaining is None
    b.acquire(max_wait=0)


def test_urgency_is_per_thread():
    b, _ = budget(200)
    seen = []
    with b.urgent():
        worker = threading.Thread(target=lambda: seen.append(b.is_urgent))
        worker.start()
        worker.join()
        seen.append(b.is_urgent)
    assert seen == [False, True] and not b.is_urgent


def test_against_the_simulator_the_client_never_gets_a_429(make_sim):
    sim = make_sim(rate_limit=30)
    b = Budget()
    broker = Broker(config_for(sim.url), b)
    for _ in range(27):  # 30 less the 10 % reserve
        broker.clock()
    assert b.limit == 30 and b.remaining == 3
    with pytest.raises(BudgetExceeded):
        b.acquire(max_wait=0)  # a refresh would have to wait...
    with b.urgent():
        broker.account()  # ...while the user's request goes at once
    assert b.last_minute() == 28
