"""Read-only screens: help (every key), the connection, and the rejections seen so far.

Their cells hold server text (a stream's refusal reason, a rejection's message, a symbol in
a bulk close's refusal): every cell is a rich Text of cleaned text (tui.text.clean), never
a str, which a Rich Table would parse as markup (`[/] denied` raised MarkupError).
"""

from __future__ import annotations

from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from ...broker.errors import Problem
from ...config import Config
from ...text import clean
from ..format import ny_time
from ..format import DOWN


def plain(value: object, style: str = "") -> Text:
    """One line of outside text as a table cell: no markup, no control characters."""
    return Text(clean(value, one_line=True), style=style)


class InfoScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close", show=False),
        Binding("question_mark", "close", "Close", show=False),
    ]

    def __init__(self, title: str, body) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="info"):
            yield Label(plain(self.title_text), id="dialog-title")
            yield Static(self.body, id="info-body")
            yield Label("Esc to close", classes="dim")
        yield Footer(compact=True, show_command_palette=False)

    def action_close(self) -> None:
        self.dismiss(None)


def help_screen(rows: list[tuple[str, str, str, str]]) -> InfoScreen:
    """rows: (section, keys, what they do, key id) from tui/ui/keymap.py; the id is what a
    user keymap names to change the key."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_column(style="dim", no_wrap=True)
    section = None
    for where, keys, what, key_id in rows:
        if where != section:
            section = where
            table.add_row(plain(where, "underline"), Text(""), Text("id" if section == rows[0][0] else ""))
        table.add_row(plain(keys), plain(what), plain(key_id))
    return InfoScreen("Keys", table)


def connection_screen(config: Config, stream_state: str, stream_detail: str, data_state: str = "off",
                      data_detail: str = "") -> InfoScreen:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    rows = [
        ("Mode", f"{config.mode.value}" + (" — real money" if config.live else "")),
        ("Trading URL", config.base_url),
        ("Data URL", config.data_url),
        ("Stream URL", config.stream_url),
        # Whether keys are set, never the keys themselves.
        ("API keys", "configured" if config.keys_configured else "not configured"),
        ("Stream", f"{stream_state}" + (f" ({stream_detail})" if stream_detail not in ("", stream_state) else "")),
        ("Data stream URL", getattr(config, "data_stream_url", "")),
        ("Data stream", f"{data_state}" + (f" ({data_detail})" if data_detail else "")
         + ("" if data_state == "listening" else " — prices come from snapshots every few seconds")),
    ]
    for label, value in rows:
        table.add_row(plain(label), plain(value))
    return InfoScreen("Connection", table)


def rejections_screen(rejections: list[tuple[datetime, str, Problem]]) -> InfoScreen:
    if not rejections:
        return InfoScreen("Rejections", Text("No rejections this session."))
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column()
    for at, what, problem in reversed(rejections):
        table.add_row(plain(ny_time(at)), plain(what), plain(f"REJECTED {problem}", f"bold {DOWN}"))
    return InfoScreen(f"Rejections ({len(rejections)}), newest first", table)
