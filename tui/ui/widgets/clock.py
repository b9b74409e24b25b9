"""The Clock pane: OPEN or CLOSED, the time in New York and a countdown to the next change.

The server's clock is read once a minute; between reads the pane ticks on `now` (the app's
estimate of the server's time), so the countdown moves without a request. It shows minutes,
and seconds only in the last minutes before the bell, when they matter: a pane that
changes every second costs a thin SSH link more than the rest of the screen together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from rich.text import Text
from textual.widgets import Static

from ..format import NY, UP, countdown


def is_open_at(clock: Any, now: datetime) -> bool:
    """Open by the last clock read, unless its close has passed since."""
    return bool(clock.is_open) and now < clock.next_close


class ClockPane(Static, can_focus=True):
    BORDER_TITLE = "Clock"

    def __init__(self, now: Callable[[], datetime], **kwargs) -> None:
        super().__init__("loading…", **kwargs)
        self._now = now
        self._clock: Any = None
        self._shown: Text | None = None

    def show(self, clock: Any) -> None:
        self._clock = clock
        self.tick()

    def tick(self) -> None:
        if self._clock is None:
            return
        now = self._now()
        clock = self._clock
        is_open = is_open_at(clock, now)
        target = clock.next_close if is_open else clock.next_open
        label = "closes in" if is_open else "opens in"
        ny = now.astimezone(NY)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" OPEN " if is_open else " CLOSED ", style=f"bold reverse {UP}" if is_open else "bold reverse")
        text.append(f"  {ny:%H:%M} NY\n")
        text.append(f"{label} {countdown(target - now)}\n")
        text.append(f"{ny:%a %d %b %Y}", style="dim")
        if text != self._shown:  # ticks come every second; most change nothing on screen
            first = self._shown is None
            self._shown = text
            self.update(text, layout=first)  # always three lines: no re-layout after the first
