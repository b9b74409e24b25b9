"""The status bar: connection and data age, day-trade count, request budget, last rejection.

Words and signs carry the meaning (OFFLINE, REJECTED, DT 3 !), so it reads the same with
NO_COLOR.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

from ...broker.errors import Problem
from ...state.refresh import RefreshSchedule
from ...text import clean
from ..format import DOWN, UP, WARN, age

# Seconds: younger data reads "<20s" and the bar stays still between refreshes (every 15 s
# with the stream up); older data is stale and its age counts up.
FRESH = 20
# Cells the connection segment takes at least: " ◌ polling refreshing…" fits, so the usual
# changes (data age, `r`) keep its width and cost the screen no new layout.
CONNECTION_CELLS = 22


def data_age(seconds: float | None) -> str:
    """Coarse while fresh (a ticking counter is noise, and bytes on the terminal); exact once stale."""
    if seconds is not None and seconds < FRESH:
        return f"<{FRESH}s"
    return age(seconds)


@dataclass(frozen=True)
class Status:
    connection: str = "connecting"  # "stream" | "polling" | "OFFLINE" | "connecting"
    data_age: float | None = None
    daytrades: int | None = None
    daytrades_local: bool = False
    daytrades_warning: bool = False
    requests_per_minute: int = 0
    rejection: Problem | None = None
    rejection_age: int | None = None  # seconds since it came (minutes once past one)
    refreshing: bool = False  # a refresh the user asked for (r) is under way
    prices: str = "off"  # the market-data stream: "listening", "connecting", "off" or why it is down
    streamed: int = 0  # symbols it carries
    limit: int = 0  # the data plan's symbol limit
    polled: int = 0  # symbols read from snapshots instead


def status_of(schedule: RefreshSchedule, stream_state: str, daytrades: tuple[int | None, bool, bool],
              requests_per_minute: int, rejection: tuple[Problem, float] | None,
              market: tuple[str, int, int, int] = ("off", 0, 0, 0)) -> Status:
    """What the bar shows now. daytrades: (count, computed locally, warning); rejection: the
    last one and when it came (monotonic), until a success or a look at `e` clears it."""
    streaming = stream_state == "listening"
    if schedule.offline:
        connection = "OFFLINE"
    elif not schedule.anything_fetched:
        connection = "connecting"
    else:
        connection = "stream" if streaming else "polling"
    count, local, warning = daytrades
    seconds = None if rejection is None else time.monotonic() - rejection[1]
    return Status(
        connection=connection,
        # The stream keeps orders current; without it their age counts too. A part never
        # loaded makes the age unknown, not "<20s".
        data_age=schedule.data_age(("account", "positions") + (() if streaming else ("orders",))),
        daytrades=count, daytrades_local=local, daytrades_warning=warning, requests_per_minute=requests_per_minute,
        rejection=rejection[0] if rejection else None,
        rejection_age=None if seconds is None else int(seconds) if seconds < 60 else int(seconds // 60) * 60,
        refreshing=schedule.refreshing, prices=market[0], streamed=market[1], limit=market[2], polled=market[3])


def prices_text(s: Status, compact: bool) -> Text:
    """The data stream's segment: `● prices live 12/30` (+ how many come from snapshots),
    or `◌ prices: snapshots` while it is down or refused."""
    out = Text(" │ ", style="dim", no_wrap=True)
    if s.prices == "listening":
        out.append("● live" if compact else f"● prices live {s.streamed}/{s.limit}", style=UP)
        if s.polled and not compact:
            out.append(f" +{s.polled}◌", style=WARN)
    elif s.prices == "connecting":
        out.append("… prices" if compact else "… prices connecting", style="dim")
    else:
        out.append("◌ snap" if compact else "◌ prices: snapshots", style=WARN)
    return out


def rejection_text(problem: Problem, width: int, seconds: int | None = None) -> str:
    """`REJECTED 12s <message> (<code>)`: how long ago, then the message shortened (never the
    code) to fit."""
    code = f" ({problem.code})" if problem.code is not None else f" (HTTP {problem.status})" if problem.status else ""
    head = "REJECTED " + (f"{age(seconds)} " if seconds is not None else "")
    room = max(1, width - len(head) - len(code))  # at 80 columns the code may leave one cell
    text = clean(problem.message, one_line=True)  # server text: plain and printable
    message = text if len(text) <= room else text[:room - 1] + "…"
    return head + message + code


class StatusBar(Horizontal):
    """One line in segments (connection, day trades, requests, rejection), each its own
    widget: a segment that changes repaints only itself, so the request counter ticking
    does not resend the whole line over a thin SSH link."""

    SEGMENTS = ("connection", "prices", "daytrades", "requests", "rejection")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.status = Status()
        self.line = Text()
        self._texts: dict[str, Text] = {}

    def compose(self) -> ComposeResult:
        for name in self.SEGMENTS:
            yield Static("", id=f"status-{name}", classes="status-segment")

    def show(self, status: Status) -> None:
        if status != self.status:
            self.status = status
            self.refresh_line()

    def on_resize(self) -> None:
        self.refresh_line()

    def refresh_line(self) -> None:
        s = self.status
        connection = Text(no_wrap=True)
        if s.connection == "OFFLINE":
            connection.append(" ✕ OFFLINE ", style="bold reverse red")
        elif s.connection == "stream":
            connection.append(" ● stream", style=UP)
        elif s.connection == "polling":
            connection.append(" ◌ polling", style=WARN)
        else:
            connection.append(f" … {s.connection}", style="dim")
        connection.append(" refreshing…" if s.refreshing else f" data {data_age(s.data_age)}")
        connection.pad_right(CONNECTION_CELLS - connection.cell_len)

        daytrades = Text(" │ ", style="dim", no_wrap=True)
        if s.daytrades is None:
            daytrades.append("DT —")
        else:
            daytrades.append(f"DT {s.daytrades}", style=f"bold {WARN}" if s.daytrades_warning else "")
            if s.daytrades_warning:
                daytrades.append(" !", style=f"bold {WARN}")
            if s.daytrades_local:
                daytrades.append(" local", style="dim")

        # A rejection needs the room: the prices segment shortens and the request count goes.
        tight = s.rejection is not None and self.size.width < 110
        prices = prices_text(s, compact=tight)
        requests = Text(" │ ", style="dim", no_wrap=True)
        requests.append(f"{s.requests_per_minute} req/min")
        if tight:
            requests = Text()

        rejection = Text(no_wrap=True, overflow="ellipsis")
        if s.rejection is not None:
            rejection.append(" │ ", style="dim")
            used = connection.cell_len + prices.cell_len + daytrades.cell_len + requests.cell_len
            room = max(20, self.size.width - used - rejection.cell_len)
            rejection.append(rejection_text(s.rejection, room, s.rejection_age), style=f"bold {DOWN}")

        texts = dict(zip(self.SEGMENTS, (connection, prices, daytrades, requests, rejection)))
        self.line = Text.assemble(*texts.values(), no_wrap=True)
        if not self.is_mounted:
            return
        for name, text in texts.items():
            before = self._texts.get(name)
            if before != text:  # an unchanged segment is not repainted
                self._texts[name] = text
                resized = before is None or before.cell_len != text.cell_len  # widths are auto
                self.query_one(f"#status-{name}", Static).update(text, layout=resized)

    def on_mount(self) -> None:
        self.refresh_line()
        # A screen pushed over the main one shows the status at once, not at the next change.
        update = getattr(self.app, "update_status", None)
        if update is not None:
            self.call_later(update)


def bottom_bar() -> Vertical:
    """The status bar above the footer, docked at the bottom: the same on every full
    screen, so OFFLINE or a rejection is seen from a detail screen too."""
    return Vertical(StatusBar(id="status"), Footer(compact=True, show_command_palette=False), id="bottom")
