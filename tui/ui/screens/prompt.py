"""A one-line question: a watchlist's name. Enter accepts, Esc goes back; what is typed is
checked by the caller's rule before the dialog closes."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Static

from ...text import clean
from .. import keymap


class PromptScreen(ModalScreen[str | None]):
    BINDINGS = keymap.bindings(keymap.PROMPT)

    def __init__(self, title: str, placeholder: str, check: Callable[[str], str | None], max_length: int = 64) -> None:
        """check(text) -> a message saying what is wrong, or None when it will do."""
        super().__init__()
        self.title_text, self.placeholder, self.check, self.max_length = title, placeholder, check, max_length

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(self.title_text), id="dialog-title")
            yield Input(placeholder=self.placeholder, id="prompt-input", max_length=self.max_length)
            yield Static("", id="prompt-error", classes="field-error")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_ok()

    def action_ok(self) -> None:
        text = self.query_one(Input).value.strip()
        problem = self.check(text)
        if problem is not None:
            self.query_one("#prompt-error", Static).update(Text(clean(problem)))
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
