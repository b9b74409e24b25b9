"""The status bar: connection and data age, day-trade count, request budget, last rejection.

Words and signs carry the meaning (OFFLINE, REJECTED, DT 3 !), so it reads the same with
NO_COLOR.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from ..format import DOWN, UP, WARN

from ...broker.errors import Problem
from ..format import age


@dataclass(frozen=True)
class Status:
    connection: str = "connecting"  # "stream" | "polling" | "OFFLINE" | "connecting"
    data_age: float | None = None
    daytrades: int | None = None
    daytrades_local: bool = False
    daytrades_warning: bool = False
    requests_per_minute: int = 0
    rejection: Problem | None = None


def rejection_text(problem: Problem, width: int) -> str:
    """`REJECTED <message> (<code>)`, shortening the message (never the code) to fit."""
    code = f" ({problem.code})" if problem.code is not None else f" (HTTP {problem.status})" if problem.status else ""
    head = "REJECTED "
    room = max(8, width - len(head) - len(code))
    message = problem.message if len(problem.message) <= room else problem.message[:room - 1] + "…"
    return head + message + code


class StatusBar(Static):
    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.status = Status()
        self.line = Text()

    def show(self, status: Status) -> None:
        if status != self.status:
            self.status = status
            self.refresh_line()

    def on_resize(self) -> None:
        self.refresh_line()

    def refresh_line(self) -> None:
        s = self.status
        line = Text(no_wrap=True, overflow="ellipsis")
        if s.connection == "OFFLINE":
            line.append(" ✕ OFFLINE ", style="bold reverse red")
        elif s.connection == "stream":
            line.append(" ● stream", style=UP)
        elif s.connection == "polling":
            line.append(" ◌ polling", style=WARN)
        else:
            line.append(f" … {s.connection}", style="dim")
        line.append(f" data {age(s.data_age)}")
        line.append(" │ ", style="dim")
        if s.daytrades is None:
            line.append("DT —")
        else:
            line.append(f"DT {s.daytrades}", style=f"bold {WARN}" if s.daytrades_warning else "")
            if s.daytrades_warning:
                line.append(" !", style=f"bold {WARN}")
            if s.daytrades_local:
                line.append(" local", style="dim")
        line.append(" │ ", style="dim")
        line.append(f"{s.requests_per_minute} req/min")
        if s.rejection is not None:
            line.append(" │ ", style="dim")
            room = max(20, self.size.width - line.cell_len)
            line.append(rejection_text(s.rejection, room), style=f"bold {DOWN}")
        self.line = line
        self.update(line)
