"""When each fetch runs, and what each part of the screen last got: the bookkeeping of
refreshing, with no threads and no widgets (ui/refresh.py runs the fetches).

A fetch never has two calls in flight: asked again while one runs, it runs once more when
that one ends. A fetch can answer several parts (the positions read brings the account).
After a transport failure the app is OFFLINE: regular refreshes stop and one cheap probe
runs, backing off, until something answers; then everything is read again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from ..broker.errors import Problem
from ..numbers import age

PROBE_MIN, PROBE_MAX = 1.0, 4.0  # seconds between probes while OFFLINE (back within 10 s of the server)
LATE = 5.0  # seconds: a part whose answer is this late says so


@dataclass(frozen=True)
class Answered:
    """What one part's successful answer changed."""

    recovered: bool  # it had failed before
    back_online: bool  # the app was OFFLINE until now
    first_round_done: bool  # this was the last of the first screen's answers


@dataclass(frozen=True)
class Failed:
    new_problem: bool  # not the problem this part had last time (worth saying once)
    first_round_done: bool


class RefreshSchedule:
    def __init__(self, parts: Mapping[str, tuple[str, ...]], first: Iterable[str], probe: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """parts: each fetch's name -> the parts its answer brings (its own name first).
        first: the parts the first screen waits for; other fetches start after they answer.
        probe: the fetch that checks, while OFFLINE, whether the server is back."""
        self.parts = dict(parts)
        self._fetch_of = {part: name for name, names in self.parts.items() for part in names}
        self._clock = clock
        self._probe = probe
        self._first_round = set(first)
        self._first_fetches = list(dict.fromkeys(self._fetch_of[part] for part in first))
        self._in_flight: set[str] = set()
        self._again: set[str] = set()
        self._manual: set[str] = set()  # parts a refresh-all asked for that have not answered yet
        self._started: dict[str, float] = {}
        self._fetched: dict[str, float] = {}
        self._problems: dict[str, Problem] = {}
        self.offline = False  # the last answer we waited for never came
        self._probe_delay = PROBE_MIN
        self._probe_due = 0.0

    # ---- status, for the status bar, the panes and tests ----

    def fetched_at(self, part: str) -> float | None:
        """When `part` last had a good answer (monotonic seconds), None if never."""
        return self._fetched.get(part)

    def problem(self, part: str) -> Problem | None:
        """Why `part`'s last fetch failed, None if it did not."""
        return self._problems.get(part)

    @property
    def anything_fetched(self) -> bool:
        return bool(self._fetched)

    @property
    def first_round(self) -> bool:
        """Still waiting for the first screen's answers."""
        return bool(self._first_round)

    @property
    def refreshing(self) -> bool:
        """A refresh-all is waiting for answers."""
        return bool(self._manual) and not self.offline

    def in_flight(self, name: str) -> bool:
        return name in self._in_flight

    def data_age(self, parts: Iterable[str]) -> float | None:
        """Seconds since the oldest of `parts` was fetched; None if one never was."""
        now = self._clock()
        stamps = [self._fetched.get(part) for part in parts]
        return None if any(s is None for s in stamps) else max(now - s for s in stamps)  # type: ignore[operator]

    def note(self, part: str) -> str:
        """What a pane's border says of its data: old, or slow to come, or nothing."""
        now = self._clock()
        if (self.offline or part in self._problems) and part in self._fetched:
            return f"last data {age(now - self._fetched[part])} ago"
        name = self._fetch_of[part]
        waited = now - self._started.get(name, now) if name in self._in_flight else 0.0
        if waited >= LATE:  # a server that answers slowly (or trickles) is said, not hidden
            return f"waiting {age(waited)} for the server"
        return ""

    # ---- what to start ----

    def fetch_of(self, part: str) -> str:
        return self._fetch_of[part]

    def start(self, part: str) -> str | None:
        """Ask for `part`: the fetch to launch now, or None if its fetch is running (it then
        runs once more when it ends)."""
        name = self._fetch_of[part]
        if name in self._in_flight:
            self._again.add(name)
            return None
        self._in_flight.add(name)
        self._started[name] = self._clock()
        return name

    def due(self, interval: Callable[[str], float]) -> list[str]:
        """The fetches whose time has come (while OFFLINE: the probe, backing off)."""
        now = self._clock()
        if self.offline:
            if now < self._probe_due:
                return []
            self._probe_delay = min(self._probe_delay * 2, PROBE_MAX)
            self._probe_due = now + self._probe_delay
            return [self._probe]
        names = self._first_fetches if self._first_round else list(self.parts)
        return [n for n in names if now - self._started.get(n, 0.0) >= interval(n)]

    def ask_all(self) -> list[str]:
        """A refresh of everything, said until every part has answered."""
        self._manual = set(self._fetch_of)
        return list(self.parts)

    # ---- answers ----

    def ended(self, name: str) -> None:
        """The fetch `name` ended; report its parts next, then ask wants_again()."""
        self._in_flight.discard(name)

    def wants_again(self, name: str) -> bool:
        """True (once) if `name` was asked for while it ran: start it again now."""
        again = name in self._again
        self._again.discard(name)
        return again

    def succeeded(self, part: str) -> Answered:
        self._fetched[part] = self._clock()
        recovered = self._problems.pop(part, None) is not None
        back = self.offline
        self.offline = False
        return Answered(recovered, back, self._answered(part))

    def failed(self, part: str, problem: Problem) -> Failed:
        first = self._problems.get(part) != problem
        self._problems[part] = problem
        if problem.transport and not self.offline:
            self.offline = True
            self._probe_delay = PROBE_MIN
            self._probe_due = self._clock() + PROBE_MIN
        return Failed(first, self._answered(part))

    def _answered(self, part: str) -> bool:
        done = False
        if self._first_round:
            self._first_round.discard(part)
            done = not self._first_round
        name = self._fetch_of[part]
        if name not in self._again and name not in self._in_flight:
            self._manual.discard(part)
        return done
