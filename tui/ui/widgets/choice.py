"""A one-line choice for the order ticket: ←/→ (or space) steps through the options.

Unlike Select it leaves Enter alone, so Enter in any ticket field opens the review.
"""

from __future__ import annotations

from typing import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class Choice(Widget, can_focus=True):
    BINDINGS = [
        Binding("right,space,l", "step(1)", "Next", show=False),
        Binding("left,h", "step(-1)", "Previous", show=False),
    ]
    DEFAULT_CSS = """
    Choice { height: 1; width: auto; min-width: 12; padding: 0 1; }
    """
    value: reactive[str] = reactive("", layout=True)

    class Changed(Message):
        def __init__(self, choice: Choice, value: str) -> None:
            super().__init__()
            self.choice = choice
            self.value = value

        @property
        def control(self) -> Choice:
            return self.choice

    def __init__(self, options: Sequence[str], value: str | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.options = list(options)
        self.set_reactive(Choice.value, value if value in self.options else self.options[0])

    def set_options(self, options: Sequence[str]) -> None:
        self.options = list(options)
        if self.value not in self.options:
            self.value = self.options[0]
        self.refresh()

    def action_step(self, delta: int) -> None:
        index = self.options.index(self.value) if self.value in self.options else 0
        self.value = self.options[(index + delta) % len(self.options)]

    def watch_value(self, value: str) -> None:
        self.post_message(self.Changed(self, value))

    def render(self) -> Text:
        text = Text(no_wrap=True)
        text.append("◀ ", style="dim")
        text.append(self.value, style="bold")
        text.append(" ▶", style="dim")
        return text
