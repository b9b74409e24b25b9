"""Border titles set only when they change: Textual repaints the whole widget on every
assignment, even of the same text, and a repaint is bytes on the user's terminal."""

from __future__ import annotations

from textual.widget import Widget


def retitle(widget: Widget, title: str | None = None, subtitle: str | None = None) -> None:
    if title is not None and widget.border_title != title:
        widget.border_title = title
    if subtitle is not None and widget.border_subtitle != subtitle:
        widget.border_subtitle = subtitle
