"""Sending the user's orders, cancels and closes: journaled, at most once, and never left
as a guess.

A request can fail after the server acted on it (a timeout, a dropped connection, a 5xx
from a gateway). After such an *ambiguous* failure nothing is re-sent blind: an order is
looked up by its client_order_id (set before the first send) and re-sent with the same id
only when the server says it has none — a copy that races the original is refused by the
server as a duplicate id, so one confirmation can never become two orders. A cancel is
checked against the order's status; a close is looked for among the symbol's new orders
and never re-sent, since a second close could sell more than the user asked for.

Every action writes its intent to the journal before the first send and its outcome
after; an outcome still unknown at the deadline is written as "unknown" and settled from
the server on the next start (`settle_pending`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence

from ..numbers import moment
from .errors import Problem, describe
from .journal import Journal

DEADLINE = 45.0  # seconds to get a definite answer before calling the outcome unknown
MAX_SENDS = 8  # an order re-sent (same client_order_id) at most this often
REPLACE_SENDS = 2  # a replace is sent again (same client_order_id) at most once
REPLACEABLE = frozenset({"new", "partially_filled", "accepted", "pending_new", "held"})  # Alpaca replaces these
BACKOFF = (0.2, 0.5, 1.0, 2.0, 3.0)  # seconds between tries after an ambiguous failure; the last repeats
CANCELED = frozenset({"canceled", "pending_cancel"})
CLOSED_FOR_GOOD = frozenset({"filled", "expired", "rejected", "replaced", "done_for_day"})


def is_ambiguous(problem: Problem) -> bool:
    """No answer, or one from a server that may have acted before failing."""
    return problem.transport or problem.status is None or problem.status >= 500


def is_duplicate_id(problem: Problem) -> bool:
    return problem.status == 422 and "client_order_id" in problem.message and "unique" in problem.message


def pause_after(attempt: int, backoff: Sequence[float]) -> float:
    """Seconds to wait after failed try number `attempt` (1, 2, ...): the schedule's last
    value once it runs out."""
    return backoff[min(attempt, len(backoff)) - 1]


def read_retrying(call: Callable[[], Any], *, tries: int = 3, sleep: Callable[[float], None] = time.sleep,
                  backoff: Sequence[float] = BACKOFF) -> Any:
    """A read the user is waiting for, tried again after ambiguous failures (reads are safe
    to repeat); the last failure is raised."""
    for attempt in range(1, tries + 1):
        try:
            return call()
        except Exception as err:
            if attempt == tries or not is_ambiguous(describe(err)):
                raise
        sleep(pause_after(attempt, backoff))


@dataclass
class Delivery:
    """What became of one action. state: done / refused / unknown."""

    state: str
    result: Any = None  # the order (or the bulk answer) when done
    problem: Problem | None = None  # the refusal, or the last failure when unknown
    notes: list[str] = field(default_factory=list)  # how we know, in plain words
    sends: int = 0

    @property
    def note(self) -> str:
        return "; ".join(self.notes)

    def ends(self, state: str, result: Any = None, problem: Problem | None = None) -> Delivery:
        """The outcome, with the notes and sends so far."""
        return Delivery(state, result, problem, self.notes, self.sends)


class _NotFound:
    """The server answered, and has no such order."""


NOT_FOUND = _NotFound()


Weigh = Callable[[Problem, Delivery, float], "Delivery | None"]


class Dispatcher:
    """Sends the user's actions. `sleep`, `clock` and `backoff` (the pauses between tries,
    in seconds) are injectable so tests need not wait real seconds; the defaults are real."""

    def __init__(self, broker: Any, journal: Journal | None, *, deadline: float = DEADLINE,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 backoff: Sequence[float] = BACKOFF) -> None:
        if not backoff:
            raise ValueError("backoff needs at least one pause")
        self.broker = broker
        self.journal = journal
        self.deadline = deadline
        self.backoff = tuple(backoff)
        self._sleep, self._clock = sleep, clock

    # ---- the one loop every action's sending goes through --------------------------------

    def _deliver(self, send: Callable[[], Any], weigh: Weigh, *, again: str | None = None,
                 resends: bool = True, rate_limit_waits: bool = True, max_sends: int = MAX_SENDS) -> Delivery:
        """Send until the action is done, `weigh` settles it, or tries or time run out.

        After a failure, `weigh(problem, delivery, give_up)` returns the outcome, or None to
        send again after a pause (noting `again` first), within MAX_SENDS and the deadline.
        With `rate_limit_waits`, a 429 (not acted on) is sent again at once while time is
        left: the budget waits out the server's reset. Without `resends` the action is never
        sent twice: weigh settles every failure, and a 429's try is not counted as a send."""
        give_up = self._clock() + self.deadline
        delivery = Delivery("unknown")
        while True:
            if resends or not delivery.sends:
                delivery.sends += 1
            try:
                return delivery.ends("done", send())
            except Exception as err:  # every failure is weighed below
                problem = describe(err)
            delivery.problem = problem
            if rate_limit_waits and problem.status == 429 and self._clock() < give_up:
                continue
            outcome = weigh(problem, delivery, give_up)
            if outcome is not None:
                return outcome
            if not resends:
                return delivery  # never sent twice: what weigh left open stays unknown
            if delivery.sends >= max_sends or self._clock() >= give_up:
                return delivery
            if again:
                delivery.notes.append(again)
            self._pause(delivery.sends)

    # ---- one order ---------------------------------------------------------------------

    def order(self, request: Any, client_order_id: str, what: dict[str, Any]) -> Delivery:
        intent = self._intent("order", what, client_order_id)
        with self._urgent():
            delivery = self._send_order(request, client_order_id)
        order = delivery.result
        self._outcome(intent, delivery, order_id=getattr(order, "id", None), status=getattr(order, "status", None))
        return delivery

    def _settled_by_id(self, client_order_id: str, give_up: float, delivery: Delivery) -> Delivery | None:
        """After a doubtful send, the order the server holds under `client_order_id`: done if
        there is one, still unknown if the server could not say in time; None when it has none."""
        found = self._find(lambda: self.broker.order_by_client_id(client_order_id), give_up, delivery)
        if found is None:
            return delivery  # the server could not say in time
        if found is NOT_FOUND:
            return None
        delivery.notes.append("found on the server by its client_order_id")
        return delivery.ends("done", found)

    def _send_order(self, request: Any, client_order_id: str) -> Delivery:
        def weigh(problem: Problem, delivery: Delivery, give_up: float) -> Delivery | None:
            if problem.status == 429:
                return delivery  # rate limited until the deadline: never accepted, but say unknown
            if not is_ambiguous(problem) and not is_duplicate_id(problem):
                return delivery.ends("refused", problem=problem)
            delivery.notes.append(f"send {delivery.sends}: {problem}")
            settled = self._settled_by_id(client_order_id, give_up, delivery)
            if settled is not None:
                return settled
            if is_duplicate_id(problem):
                # The server knows the id yet has no order: never seen, but never send again.
                return delivery.ends("refused", problem=problem)
            return None  # not there: the same client_order_id may go again

        return self._deliver(lambda: self.broker.submit(request), weigh,
                             again="not on the server: sent again with the same client_order_id")

    # ---- one cancel --------------------------------------------------------------------

    def cancel(self, order_id: str, what: dict[str, Any]) -> Delivery:
        intent = self._intent("cancel", {**what, "order_id": order_id})
        with self._urgent():
            delivery = self._send_cancel(order_id)
        self._outcome(intent, delivery, order_id=order_id)
        return delivery

    def _send_cancel(self, order_id: str) -> Delivery:
        def weigh(problem: Problem, delivery: Delivery, give_up: float) -> Delivery | None:
            if problem.status == 404:
                return delivery.ends("refused", problem=problem)
            if not is_ambiguous(problem) and problem.status != 422:
                return delivery.ends("refused", problem=problem)
            # Ambiguous, or "not cancelable" (perhaps because our first cancel went through).
            delivery.notes.append(f"send {delivery.sends}: {problem}")
            order = self._find(lambda: self.broker.order(order_id), give_up, delivery)
            if order is None:
                return delivery
            status = _status(order)
            if status in CANCELED:
                delivery.notes.append(f"the order is {status}")
                return delivery.ends("done", order)
            if order is NOT_FOUND or status in CLOSED_FOR_GOOD or problem.status == 422:
                refusal = problem if problem.status == 422 else Problem(
                    f"the order is {status or 'gone'}: nothing to cancel", problem.status, problem.code)
                return delivery.ends("refused", order, problem=refusal)
            return None  # still open: a cancel is safe to repeat

        return self._deliver(lambda: self.broker.cancel(order_id), weigh)

    # ---- one replace (modify) ----------------------------------------------------------

    def replace(self, order_id: str, changes: dict[str, Any], client_order_id: str,
                what: dict[str, Any]) -> Delivery:
        """Replace `order_id` with `changes` (Broker.replace). The replacement's
        client_order_id is chosen by the caller before the first send and journaled with the
        intent; done → the new order."""
        intent = self._intent("replace", {**what, "order_id": order_id,
                                          "changes": {k: str(v) for k, v in changes.items()}}, client_order_id)
        with self._urgent():
            delivery = self._send_replace(order_id, changes, client_order_id)
        new = delivery.result
        self._outcome(intent, delivery, order_id=getattr(new, "id", None), replaces=order_id,
                      status=getattr(new, "status", None))
        return delivery

    def _send_replace(self, order_id: str, changes: dict[str, Any], client_order_id: str) -> Delivery:
        """After an ambiguous failure the replacement is looked up by its client_order_id:
        found, it took effect. Not found, the old order is read: still open and not replaced,
        the same request (same client_order_id) may go once more — the server refuses a
        second copy (the id is taken, or the old order is no longer open), so there are never
        two live replacements. A refusal after such a failure is checked the same way."""
        unsure = [False]  # an earlier send failed ambiguously: a later refusal may be our own echo

        def weigh(problem: Problem, delivery: Delivery, give_up: float) -> Delivery | None:
            if problem.status == 429:
                return delivery
            ambiguous = is_ambiguous(problem)
            if not ambiguous and not unsure[0] and not is_duplicate_id(problem):
                return delivery.ends("refused", problem=problem)
            unsure[0] = unsure[0] or ambiguous
            delivery.notes.append(f"send {delivery.sends}: {problem}")
            settled = self._settled_by_id(client_order_id, give_up, delivery)
            if settled is not None:
                return settled
            if not ambiguous:
                return delivery.ends("refused", problem=problem)  # a definite answer, and nothing took effect
            old = self._find(lambda: self.broker.order(order_id), give_up, delivery)
            if old is None:
                return delivery
            if old is NOT_FOUND:
                return delivery.ends("refused", problem=Problem("the order is gone: nothing replaced",
                                                                problem.status, problem.code))
            status = _status(old)
            replaced_by = getattr(old, "replaced_by", None)
            if status == "replaced" or replaced_by:
                newer = self._find(lambda: self.broker.order(str(replaced_by)), give_up, delivery) \
                    if replaced_by else NOT_FOUND
                if newer is None:
                    return delivery
                if newer is not NOT_FOUND and getattr(newer, "client_order_id", None) == client_order_id:
                    delivery.notes.append("the replacement was found on the server as the order's replaced_by")
                    return delivery.ends("done", newer)
                return delivery.ends("refused", old, problem=Problem(
                    f"the order was replaced by another order ({replaced_by or 'unknown'}): not sent again",
                    problem.status, problem.code))
            if status not in REPLACEABLE:
                return delivery.ends("refused", old, problem=Problem(
                    f"the order is {status}: nothing replaced", problem.status, problem.code))
            return None  # still open, not replaced, no replacement: the same client_order_id may go again

        return self._deliver(lambda: self.broker.replace(order_id, changes, client_order_id), weigh,
                             again="not replaced on the server: sent again with the same client_order_id",
                             max_sends=REPLACE_SENDS)

    # ---- one close ---------------------------------------------------------------------

    def close(self, symbol: str, qty: Any, what: dict[str, Any], percentage: Any = None) -> Delivery:
        """Close all of a position (qty and percentage None), `qty` of it, or `percentage` %."""
        intent = self._intent("close", {**what, "symbol": symbol, "qty": None if qty is None else str(qty),
                                        "percentage": None if percentage is None else str(percentage)})
        with self._urgent():
            delivery = self._send_close(symbol, qty, percentage)
        order = delivery.result
        self._outcome(intent, delivery, order_id=getattr(order, "id", None), status=getattr(order, "status", None))
        return delivery

    def _send_close(self, symbol: str, qty: Any, percentage: Any = None) -> Delivery:
        sent_at = datetime.now(timezone.utc) - timedelta(seconds=5)  # our clock may run ahead of the server's

        def send() -> Any:
            if percentage is not None:
                return self.broker.close_position(symbol, qty, percentage)
            return self.broker.close_position(symbol, qty)

        def weigh(problem: Problem, delivery: Delivery, give_up: float) -> Delivery:
            if not is_ambiguous(problem):
                return delivery.ends("refused", problem=problem)
            delivery.notes.append(f"send 1: {problem}")
            # Never re-sent: look for the closing order the server may have made.
            found = self._find(lambda: self._closing_orders(symbol, sent_at), give_up, delivery)
            if found is None:
                return delivery
            if found is NOT_FOUND:
                delivery.notes.append("no closing order on the server: nothing was done")
                return delivery.ends("refused", problem=problem)
            delivery.notes.append("the closing order was found on the server")
            return delivery.ends("done", found[0])

        # A 429 was not accepted: the same request may go again (and is no second send).
        return self._deliver(send, weigh, resends=False)

    # ---- everything at once ------------------------------------------------------------

    def cancel_all(self) -> Delivery:
        intent = self._intent("cancel_all", {})
        with self._urgent():
            delivery = self._repeat_until_answered(self.broker.cancel_all)  # safe to repeat
        self._outcome(intent, delivery, count=len(delivery.result or []))
        return delivery

    def close_all(self, cancel_orders: bool) -> Delivery:
        intent = self._intent("close_all", {"cancel_orders": cancel_orders})
        with self._urgent():
            delivery = self._send_once(lambda: self.broker.close_all(cancel_orders))
        self._outcome(intent, delivery, count=len(delivery.result or []))
        return delivery

    def _repeat_until_answered(self, call: Callable[[], Any]) -> Delivery:
        def weigh(problem: Problem, delivery: Delivery, give_up: float) -> Delivery | None:
            if not is_ambiguous(problem) and problem.status != 429:
                return delivery.ends("refused", problem=problem)
            delivery.notes.append(f"send {delivery.sends}: {problem}")
            return None  # safe to repeat, a 429 included (after the same pause)

        return self._deliver(call, weigh, rate_limit_waits=False)

    def _send_once(self, call: Callable[[], Any]) -> Delivery:
        try:
            return Delivery("done", call(), sends=1)
        except Exception as err:
            problem = describe(err)
        if is_ambiguous(problem):
            return Delivery("unknown", problem=problem, sends=1,
                            notes=[f"{problem}: the server may have acted; the panes will show what it did"])
        return Delivery("refused", problem=problem, sends=1)

    # ---- settling what an earlier run left open ----------------------------------------

    def settle_pending(self) -> list[tuple[dict[str, Any], str]]:
        """Ask the server about every journaled intent without a definite outcome.

        Returns (intent, what the server says) for each, and journals the answer."""
        if self.journal is None:
            return []
        settled = []
        for intent in self.journal.pending():
            answer = self._settle(intent)
            if answer is None:
                continue  # the server cannot say now: left pending for next time
            self.journal.outcome(intent["intent"], "settled", note=answer)
            settled.append((intent, answer))
        return settled

    def _settle(self, intent: dict[str, Any]) -> str | None:
        action, what = intent.get("action"), intent.get("what") or {}
        give_up = self._clock() + min(self.deadline, 10.0)
        scratch = Delivery("unknown")
        if action == "order" and intent.get("client_order_id"):
            found = self._find(lambda: self.broker.order_by_client_id(intent["client_order_id"]), give_up, scratch)
            if found is None:
                return None
            if found is NOT_FOUND:
                return "the order was never placed"
            return f"the order was placed: {found.id} is {_status(found)}"
        if action == "replace" and intent.get("client_order_id"):
            found = self._find(lambda: self.broker.order_by_client_id(intent["client_order_id"]), give_up, scratch)
            if found is None:
                return None
            if found is NOT_FOUND:
                return "the order was not replaced"
            return f"the order was replaced: {found.id} is {_status(found)}"
        if action == "cancel" and what.get("order_id"):
            found = self._find(lambda: self.broker.order(what["order_id"]), give_up, scratch)
            if found is None:
                return None
            return "the order is gone" if found is NOT_FOUND else f"the order is {_status(found)}"
        if action == "close" and what.get("symbol"):
            sent = moment(intent.get("ts"))  # bounded: a year-1 time minus 5 s would overflow
            if sent is None:
                return "cannot tell (the journal line has no time)"
            since = sent - timedelta(seconds=5)
            found = self._find(lambda: self._closing_orders(what["symbol"], since), give_up, scratch)
            if found is None:
                return None
            return "no closing order was made" if found is NOT_FOUND else \
                f"a closing order was made: {found[0].id} is {_status(found[0])}"
        return "a bulk action: the positions and orders panes show its result"

    # ---- helpers -----------------------------------------------------------------------

    def _closing_orders(self, symbol: str, since: datetime) -> Any:
        """Market orders for the symbol since the close was sent (a close makes one), or NOT_FOUND."""
        orders = [o for o in self.broker.orders_since(symbol, since) if _status_text(getattr(o, "type", None)) == "market"]
        return orders or NOT_FOUND

    def _find(self, lookup: Callable[[], Any], give_up: float, delivery: Delivery) -> Any:
        """The lookup's answer, NOT_FOUND, or None when the server would not say by give_up."""
        tries = 0
        while True:
            tries += 1
            try:
                found = lookup()
                return NOT_FOUND if found is None else found
            except Exception as err:
                problem = describe(err)
            if not is_ambiguous(problem) and problem.status != 429:
                delivery.notes.append(f"look-up refused: {problem}")
                return None
            if self._clock() >= give_up:
                delivery.notes.append(f"look-up failed until the deadline: {problem}")
                return None
            self._pause(tries)

    def _pause(self, attempt: int) -> None:
        self._sleep(pause_after(attempt, self.backoff))

    def _urgent(self) -> Any:
        return self.broker.budget.urgent()

    def _intent(self, action: str, what: dict[str, Any], client_order_id: str | None = None) -> str | None:
        if self.journal is None:
            return None
        return self.journal.intent(action, what, client_order_id)  # JournalError: nothing is sent

    def _outcome(self, intent: str | None, delivery: Delivery, **details: Any) -> None:
        if self.journal is None or intent is None:
            return
        result = {"done": "accepted", "refused": "refused", "unknown": "unknown"}[delivery.state]
        problem = delivery.problem if delivery.state != "done" else None
        error = {"message": problem.message, "status": problem.status, "code": problem.code} if problem else None
        if details.get("status") is not None:
            details["status"] = _status_text(details["status"])
        self.journal.outcome(intent, result, error=error, note=delivery.note or None, sends=delivery.sends,
                             **details)


def _status(order: Any) -> str:
    return _status_text(getattr(order, "status", None))


def _status_text(status: Any) -> str:
    return str(getattr(status, "value", status) or "unknown")
