"""The Clock pane: OPEN or CLOSED, the time in New York and a countdown to the next change.

The server's clock is read once a minute; between reads the pane ticks on `now` (the app's
estimate of the server's time), so the countdown moves without a request. It shows minutes,
and seconds only in the last minutes before the bell, when they matter: a pane that
changes every second costs a thin SSH link more than the rest of the screen together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from ...sessions import AFTER_HOURS, CLOSED, PRE_MARKET, REGULAR, Session, is_open_at

from rich.text import Text
from textual.widgets import Static

from ..format import NY, UP, WARN, countdown


WIDTH = 22  # cells inside the pane
BADGES = {
    REGULAR: (" OPEN ", f"bold reverse {UP}"),
    PRE_MARKET: (" PRE-MARKET ", f"bold reverse {WARN}"),
    AFTER_HOURS: (" AFTER-HOURS ", f"bold reverse {WARN}"),
}


class ClockPane(Static, can_focus=True):
    BORDER_TITLE = "Clock"

    def __init__(self, now: Callable[[], datetime], **kwargs) -> None:
        super().__init__("loading…", **kwargs)
        self._now = now
        self._clock: Any = None
        self._session: Callable[[], Session | None] = lambda: None
        self._shown: Text | None = None

    def show(self, clock: Any, session: Callable[[], Session | None] | None = None) -> None:
        """session: the session now (the app's, from the clock and the calendar)."""
        self._clock = clock
        if session is not None:
            self._session = session
        self.tick()

    def tick(self) -> None:
        if self._clock is None:
            return
        now = self._now()
        clock = self._clock
        session = self._session()
        name = session.name if session is not None else (REGULAR if is_open_at(clock, now) else CLOSED)
        ny = now.astimezone(NY)
        text = Text(no_wrap=True, overflow="ellipsis")
        badge, style = BADGES.get(name, (" CLOSED ", "bold reverse"))
        text.append(badge, style=style)
        text.append(f"{' ' if len(badge) > 8 else '  '}{ny:%H:%M} NY\n")  # 22 cells inside the border
        line = self._countdown(name, session, clock, now)
        text.append(f"{line if len(line) <= WIDTH else line.replace(' in ', ' ', 1)}\n")
        # The badge names the extended sessions; the regular one and the closed market are said here.
        text.append(f"{ny:%a %d %b}" if name in (PRE_MARKET, AFTER_HOURS) else f"{name} · {ny:%a %d %b}", style="dim")
        if text != self._shown:  # ticks come every second; most change nothing on screen
            first = self._shown is None
            self._shown = text
            self.update(text, layout=first)  # always three lines: no re-layout after the first

    @staticmethod
    def _countdown(name: str, session: Session | None, clock: Any, now: datetime) -> str:
        """What comes next and when: the bell in the regular session, else the next change.
        Without a session (no calendar yet) the clock's next close or open is all there is."""
        if session is None:
            return f"closes in {countdown(clock.next_close - now)}" if name == REGULAR \
                else f"opens in {countdown(clock.next_open - now)}"
        if name == REGULAR:
            return f"closes in {countdown((session.ends_at or clock.next_close) - now)}"
        if name == PRE_MARKET:
            return f"opens in {countdown((session.next_open or session.ends_at or clock.next_open) - now)}"
        if name == AFTER_HOURS and session.ends_at is not None:
            return f"ends in {countdown(session.ends_at - now)}"
        if session.next_name and session.next_at is not None:
            return f"{session.next_name} in {countdown(session.next_at - now)}"
        return f"opens in {countdown(clock.next_open - now)}"
