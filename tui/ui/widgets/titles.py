"""Border titles set only when they change: Textual repaints the whole widget on every
assignment, even of the same text, and a repaint is bytes on the user's terminal.

What was set is remembered on the widget: Textual gives a title back as markup, which never
equals the rich Text that was set (text from outside is never given as markup)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widget import Widget

REMEMBERED = "_titles_set"  # the attribute on the widget: {"title": ..., "subtitle": ...}


def _key(value: Any) -> Any:
    return ("text", value.plain, tuple(value.spans), str(value.style)) if isinstance(value, Text) else value


def retitle(widget: Widget, title: str | Text | None = None, subtitle: str | Text | None = None) -> None:
    shown = widget.__dict__.setdefault(REMEMBERED, {})
    for name, value in (("title", title), ("subtitle", subtitle)):
        if value is None:
            continue
        if name not in shown and getattr(widget, f"border_{name}") == value:
            shown[name] = _key(value)  # set as a class attribute (BORDER_TITLE) or before
            continue
        if shown.get(name) != _key(value):
            shown[name] = _key(value)
            setattr(widget, f"border_{name}", value)
