"""Read-only screens: help (every key), the connection, and the rejections seen so far."""

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
from ..format import ny_time
from ..format import DOWN


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
            yield Label(self.title_text, id="dialog-title")
            yield Static(self.body, id="info-body")
            yield Label("Esc to close", classes="dim")
        yield Footer(compact=True, show_command_palette=False)

    def action_close(self) -> None:
        self.dismiss(None)


def help_screen(keys: list[tuple[str, str]]) -> InfoScreen:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, what in keys:
        table.add_row(key, what)
    return InfoScreen("Keys", table)


def connection_screen(config: Config, stream_state: str, stream_detail: str) -> InfoScreen:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_row("Mode", f"{config.mode.value}" + (" — real money" if config.live else ""))
    table.add_row("Trading URL", config.base_url)
    table.add_row("Data URL", config.data_url)
    table.add_row("Stream URL", config.stream_url)
    # Whether keys are set, never the keys themselves.
    table.add_row("API keys", "configured" if config.keys_configured else "not configured")
    table.add_row("Stream", stream_state + (f" ({stream_detail})" if stream_detail else ""))
    return InfoScreen("Connection", table)


def rejections_screen(rejections: list[tuple[datetime, str, Problem]]) -> InfoScreen:
    if not rejections:
        return InfoScreen("Rejections", Text("No rejections this session."))
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column()
    for at, what, problem in reversed(rejections):
        table.add_row(ny_time(at), what, Text(f"REJECTED {problem}", style=f"bold {DOWN}"))
    return InfoScreen(f"Rejections ({len(rejections)}), newest first", table)
