"""The client's side of Alpaca's request budget (200 a minute per account, or what the
X-RateLimit headers say), with the user's own actions served ahead of refreshes.

Every trading request passes `Budget.acquire()` before it is sent. Refreshes stop short
of the budget by a reserve, so orders, cancels and closes always find room; after a 429
everything waits until X-RateLimit-Reset (or backs off when there is none) instead of
hammering. The server's own count wins over ours when it is lower: another program using
the same account spends the same budget.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from typing import Any, Callable, Iterator

WINDOW = 60.0
DEFAULT_LIMIT = 200
RESERVE = 0.1  # share of the budget refreshes leave for the user's actions
BACKOFF_429 = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)  # when a 429 carries no usable reset time


class BudgetExceeded(Exception):
    """The wait for room in the budget took longer than the caller allowed."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"request budget used up: next room in {wait:.0f} s")
        self.wait = wait


class Budget:
    def __init__(self, limit: int = DEFAULT_LIMIT, *, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        self._lock = threading.Lock()
        self._clock, self._wall, self._sleep = clock, wall, sleep
        self._sent: deque[float] = deque()
        self.limit = limit
        self.remaining: int | None = None  # the server's count, from the last answer
        self._remaining_until = 0.0  # ...valid until this instant (its reset), on our clock
        self._blocked_until = 0.0  # after a 429
        self._strikes = 0
        self._urgent = threading.local()

    # ---- priority ----------------------------------------------------------------------

    @contextlib.contextmanager
    def urgent(self) -> Iterator[None]:
        """Requests made inside this block (on this thread) are the user's own actions."""
        depth = getattr(self._urgent, "depth", 0)
        self._urgent.depth = depth + 1
        try:
            yield
        finally:
            self._urgent.depth = depth

    @property
    def is_urgent(self) -> bool:
        return getattr(self._urgent, "depth", 0) > 0

    # ---- the gate ----------------------------------------------------------------------

    def wait_needed(self, urgent: bool) -> float:
        """Seconds until a request of this priority may go (0: now). Call with the lock held."""
        now = self._clock()
        while self._sent and self._sent[0] <= now - WINDOW:
            self._sent.popleft()
        if now < self._blocked_until:
            return self._blocked_until - now
        room = self.limit if urgent else self.limit - max(1, int(self.limit * RESERVE))
        used = len(self._sent)
        if self.remaining is not None and now < self._remaining_until:
            used = max(used, self.limit - self.remaining)  # others spend this budget too
            if used >= room:
                return self._remaining_until - now
        if used < room:
            return 0.0
        return self._sent[0] + WINDOW - now

    def acquire(self, *, max_wait: float = 65.0) -> None:
        """Block until the request may be sent, then count it; BudgetExceeded past max_wait."""
        urgent = self.is_urgent
        deadline = self._clock() + max_wait
        while True:
            with self._lock:
                wait = self.wait_needed(urgent)
                if wait <= 0:
                    self._sent.append(self._clock())
                    if self.remaining is not None:
                        self.remaining = max(0, self.remaining - 1)
                    return
            if self._clock() + wait > deadline:
                raise BudgetExceeded(wait)
            self._sleep(min(wait, 0.5))

    # ---- what the server said ----------------------------------------------------------

    def note_answer(self, status: int, headers: Any) -> None:
        limit = _header_int(headers, "X-RateLimit-Limit")
        remaining = _header_int(headers, "X-RateLimit-Remaining")
        reset = _header_int(headers, "X-RateLimit-Reset")
        with self._lock:
            now = self._clock()
            reset_in = None
            if reset is not None:
                reset_in = reset - self._wall()
                if not 0 < reset_in <= 2 * WINDOW:
                    reset_in = None  # a clock far off ours: do not trust it
            if limit is not None and limit > 0:
                self.limit = min(limit, DEFAULT_LIMIT * 10)
            if remaining is not None:
                self.remaining = max(0, remaining)
                self._remaining_until = now + (reset_in if reset_in is not None else WINDOW)
            if status == 429:
                if reset_in is None:
                    reset_in = BACKOFF_429[min(self._strikes, len(BACKOFF_429) - 1)]
                self._strikes += 1
                self._blocked_until = max(self._blocked_until, now + reset_in)
            else:
                self._strikes = 0

    def last_minute(self) -> int:
        with self._lock:
            now = self._clock()
            while self._sent and self._sent[0] <= now - WINDOW:
                self._sent.popleft()
            return len(self._sent)

    def blocked_for(self) -> float:
        """Seconds left of a 429 pause (0 when none)."""
        with self._lock:
            return max(0.0, self._blocked_until - self._clock())


def _header_int(headers: Any, name: str) -> int | None:
    try:
        value = headers.get(name) if headers is not None else None
        return int(float(value)) if value not in (None, "") else None
    except (TypeError, ValueError, AttributeError):
        return None  # a malformed header must never break a request
