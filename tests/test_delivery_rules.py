"""The Dispatcher's rules for each failure, against a scripted broker on a virtual clock:
which answers end an action, which are tried again, after which pause, and what is
counted — without a server and without waiting a real second."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from alpaca.common.exceptions import APIError

from tui.broker.delivery import BACKOFF, MAX_SENDS, Dispatcher, read_retrying
from tui.broker.journal import Journal

SCHEDULE = (7.0, 11.0, 13.0)  # a back-off schedule no default has: the sleeps show it was used


def http(status: int, message: str = "nope", code: int | None = None) -> APIError:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps({"message": message, **({"code": code} if code else {})}).encode()
    return APIError(response.text, requests.HTTPError(response=response))


NOT_FOUND = http(404, "order not found")
RATE_LIMITED = http(429, "too many requests")
LOST = http(504, "gateway timeout")  # the server may have acted
DOWN = http(503, "unavailable")


class Clock:
    """Virtual time: every call to the broker takes `step` seconds, every sleep its length."""

    def __init__(self, step: float = 1.0) -> None:
        self.now, self.step, self.sleeps = 0.0, step, []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Scripted:
    """A broker whose every method answers from a script: an exception is raised, anything
    else returned; the script's last answer repeats."""

    def __init__(self, clock: Clock, **scripts: list[Any]) -> None:
        self._clock, self._scripts = clock, scripts
        self.calls: list[str] = []
        self.budget = SimpleNamespace(urgent=contextlib.nullcontext)

    def _answer(self, name: str) -> Any:
        self.calls.append(name)
        self._clock.now += self._clock.step
        script = self._scripts[name]
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def submit(self, request: Any) -> Any:
        return self._answer("submit")

    def order_by_client_id(self, client_order_id: str) -> Any:
        try:
            return self._answer("order_by_client_id")
        except APIError as err:  # as Broker._or_none: 404 is "no such order"
            if err.response.status_code == 404:
                return None
            raise

    def order(self, order_id: str) -> Any:
        return self._answer("order")

    def cancel(self, order_id: str) -> None:
        self._answer("cancel")

    def close_position(self, symbol: str, qty: Any = None, percentage: Any = None) -> Any:
        return self._answer("close_position")

    def orders_since(self, symbol: str, after: datetime) -> list[Any]:
        return self._answer("orders_since")

    def cancel_all(self) -> list[Any]:
        return self._answer("cancel_all")

    def close_all(self, cancel_orders: bool) -> list[Any]:
        return self._answer("close_all")


def order(status: str = "new", type: str = "market") -> SimpleNamespace:
    return SimpleNamespace(id="o-1", status=status, type=type)


def dispatcher(clock: Clock, tmp_path=None, deadline: float = 45.0, **scripts: list[Any]) -> tuple[Dispatcher, Scripted]:
    broker = Scripted(clock, **scripts)
    journal = Journal(tmp_path / "audit.jsonl", mode="paper", endpoint="e") if tmp_path is not None else None
    return Dispatcher(broker, journal, deadline=deadline, sleep=clock.sleep, clock=clock.clock,
                      backoff=SCHEDULE), broker


# ---- one order ---------------------------------------------------------------------------


def test_an_order_lost_before_the_server_acted_is_sent_again_after_the_first_pause(tmp_path):
    clock = Clock()
    send, broker = dispatcher(clock, tmp_path, submit=[DOWN, order()], order_by_client_id=[NOT_FOUND])
    delivery = send.order(object(), "tui-1", {"symbol": "AAPL"})
    assert (delivery.state, delivery.sends, delivery.result.id) == ("done", 2, "o-1")
    assert broker.calls == ["submit", "order_by_client_id", "submit"]
    assert clock.sleeps == [SCHEDULE[0]]
    assert "not on the server: sent again with the same client_order_id" in delivery.notes
    assert send.journal.pending() == []


def test_an_order_never_found_is_sent_at_most_max_sends_times_along_the_schedule():
    clock = Clock(step=0.0)
    send, broker = dispatcher(clock, submit=[LOST], order_by_client_id=[NOT_FOUND], deadline=1e6)
    delivery = send.order(object(), "tui-1", {})
    assert (delivery.state, delivery.sends) == ("unknown", MAX_SENDS)
    assert broker.calls.count("submit") == MAX_SENDS
    assert clock.sleeps == [7.0, 11.0, 13.0] + [13.0] * (MAX_SENDS - 4)  # the last value repeats
    assert delivery.notes.count("not on the server: sent again with the same client_order_id") == MAX_SENDS - 1


def test_an_order_found_by_its_id_after_a_lost_answer_is_done_and_never_resent():
    clock = Clock()
    send, broker = dispatcher(clock, submit=[LOST], order_by_client_id=[order("accepted")])
    delivery = send.order(object(), "tui-1", {})
    assert (delivery.state, delivery.sends, broker.calls) == ("done", 1, ["submit", "order_by_client_id"])
    assert delivery.notes == ["send 1: gateway timeout [HTTP 504]", "found on the server by its client_order_id"]
    assert clock.sleeps == []


def test_a_rate_limited_order_goes_again_at_once_and_is_unknown_at_the_deadline():
    clock = Clock(step=1.0)
    send, broker = dispatcher(clock, submit=[RATE_LIMITED], deadline=5.0)
    delivery = send.order(object(), "tui-1", {})
    assert delivery.state == "unknown" and delivery.problem.status == 429
    assert broker.calls == ["submit"] * 5 and delivery.sends == 5  # one a second until the 5 s deadline
    assert clock.sleeps == []  # the budget waits out a 429, not the back-off


def test_a_duplicate_id_with_no_order_is_refused_and_never_sent_again():
    clock = Clock()
    duplicate = http(422, "client_order_id must be unique")
    send, broker = dispatcher(clock, submit=[duplicate], order_by_client_id=[NOT_FOUND])
    delivery = send.order(object(), "tui-1", {})
    assert (delivery.state, delivery.sends, broker.calls) == ("refused", 1, ["submit", "order_by_client_id"])


def test_a_refusal_ends_the_order_at_once():
    clock = Clock()
    send, broker = dispatcher(clock, submit=[http(403, "insufficient buying power", 40310000)])
    delivery = send.order(object(), "tui-1", {})
    assert (delivery.state, delivery.sends, delivery.problem.code, broker.calls) == ("refused", 1, 40310000, ["submit"])


def test_a_lookup_that_keeps_failing_pauses_along_the_schedule_until_the_deadline():
    clock = Clock(step=0.0)
    send, broker = dispatcher(clock, submit=[LOST], order_by_client_id=[DOWN], deadline=40.0)
    delivery = send.order(object(), "tui-1", {})
    assert delivery.state == "unknown" and delivery.sends == 1
    assert clock.sleeps == [7.0, 11.0, 13.0, 13.0]  # 44 s: past the 40 s deadline
    assert delivery.notes[-1] == "look-up failed until the deadline: unavailable [HTTP 503]"


# ---- one cancel --------------------------------------------------------------------------


def test_a_cancel_whose_answer_was_lost_is_done_when_the_order_is_canceled():
    clock = Clock()
    send, broker = dispatcher(clock, cancel=[LOST], order=[order("pending_cancel")])
    delivery = send.cancel("o-1", {})
    assert (delivery.state, delivery.sends, broker.calls) == ("done", 1, ["cancel", "order"])
    assert delivery.notes[-1] == "the order is pending_cancel"


def test_a_cancel_of_an_order_still_open_is_repeated_after_a_pause():
    clock = Clock()
    send, broker = dispatcher(clock, cancel=[DOWN, None], order=[order("new")])
    delivery = send.cancel("o-1", {})
    assert (delivery.state, delivery.sends, broker.calls) == ("done", 2, ["cancel", "order", "cancel"])
    assert clock.sleeps == [SCHEDULE[0]]


def test_a_cancel_of_a_filled_order_is_refused():
    clock = Clock()
    send, _ = dispatcher(clock, cancel=[http(422, "order is not cancelable")], order=[order("filled")])
    delivery = send.cancel("o-1", {})
    assert delivery.state == "refused" and delivery.problem.message == "order is not cancelable"


def test_a_cancel_of_an_order_the_server_does_not_know_is_refused_at_once():
    clock = Clock()
    send, broker = dispatcher(clock, cancel=[NOT_FOUND])
    delivery = send.cancel("o-1", {})
    assert (delivery.state, delivery.sends, broker.calls) == ("refused", 1, ["cancel"])


def test_a_rate_limited_cancel_goes_again_at_once_and_is_refused_at_the_deadline():
    clock = Clock(step=1.0)
    send, broker = dispatcher(clock, cancel=[RATE_LIMITED], deadline=3.0)
    delivery = send.cancel("o-1", {})
    assert delivery.state == "refused" and delivery.problem.status == 429
    assert broker.calls == ["cancel"] * 3 and clock.sleeps == []


# ---- one close ---------------------------------------------------------------------------


def test_a_close_is_never_sent_twice_and_a_rate_limited_try_is_not_counted():
    clock = Clock()
    send, broker = dispatcher(clock, close_position=[RATE_LIMITED, RATE_LIMITED, order()])
    delivery = send.close("AAPL", None, {})
    assert (delivery.state, delivery.sends, broker.calls) == ("done", 1, ["close_position"] * 3)


def test_a_close_whose_answer_was_lost_is_looked_for_never_resent():
    clock = Clock()
    send, broker = dispatcher(clock, close_position=[LOST], orders_since=[[order("filled")]])
    delivery = send.close("AAPL", None, {})
    assert (delivery.state, delivery.sends, broker.calls) == ("done", 1, ["close_position", "orders_since"])
    assert delivery.notes == ["send 1: gateway timeout [HTTP 504]", "the closing order was found on the server"]


def test_a_close_that_made_no_order_is_refused_not_resent():
    clock = Clock()
    send, broker = dispatcher(clock, close_position=[LOST], orders_since=[[order("new", type="limit")]])
    delivery = send.close("AAPL", None, {})
    assert (delivery.state, broker.calls) == ("refused", ["close_position", "orders_since"])
    assert delivery.notes[-1] == "no closing order on the server: nothing was done"


def test_a_refused_close_ends_at_once():
    clock = Clock()
    send, broker = dispatcher(clock, close_position=[http(403, "insufficient qty")])
    delivery = send.close("AAPL", None, {})
    assert (delivery.state, delivery.sends, delivery.notes, broker.calls) == ("refused", 1, [], ["close_position"])


# ---- everything at once ------------------------------------------------------------------


def test_cancel_all_is_repeated_after_each_pause_even_when_rate_limited(tmp_path):
    clock = Clock()
    send, broker = dispatcher(clock, tmp_path, cancel_all=[DOWN, RATE_LIMITED, LOST, [1, 2]])
    delivery = send.cancel_all()
    assert (delivery.state, delivery.sends, delivery.result) == ("done", 4, [1, 2])
    assert clock.sleeps == [7.0, 11.0, 13.0]
    assert [note.split(":")[0] for note in delivery.notes] == ["send 1", "send 2", "send 3"]
    outcome = json.loads(send.journal.path.read_text().splitlines()[-1])
    assert (outcome["result"], outcome["count"], outcome["sends"]) == ("accepted", 2, 4)


def test_cancel_all_stops_at_max_sends():
    clock = Clock(step=0.0)
    send, broker = dispatcher(clock, cancel_all=[DOWN], deadline=1e6)
    delivery = send.cancel_all()
    assert (delivery.state, delivery.sends, len(clock.sleeps)) == ("unknown", MAX_SENDS, MAX_SENDS - 1)


def test_close_all_is_sent_once_whatever_the_answer():
    clock = Clock()
    send, broker = dispatcher(clock, close_all=[LOST])
    delivery = send.close_all(cancel_orders=True)
    assert (delivery.state, delivery.sends, broker.calls, clock.sleeps) == ("unknown", 1, ["close_all"], [])


# ---- reads and defaults ------------------------------------------------------------------


def test_a_read_is_tried_again_along_the_given_schedule():
    clock = Clock()
    answers = [DOWN, LOST, "ok"]

    def read() -> str:
        answer = answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    assert read_retrying(read, sleep=clock.sleep, backoff=SCHEDULE) == "ok"
    assert clock.sleeps == [7.0, 11.0]
    with pytest.raises(APIError):
        read_retrying(lambda: (_ for _ in ()).throw(http(403)), sleep=clock.sleep, backoff=SCHEDULE)
    assert clock.sleeps == [7.0, 11.0]  # a refusal is not tried again


def test_the_real_schedule_is_the_default():
    send = Dispatcher(Scripted(Clock()), None)
    assert send.backoff == BACKOFF == (0.2, 0.5, 1.0, 2.0, 3.0)
