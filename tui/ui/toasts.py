"""Notifications that never cover the status bar, never crowd the panes, and never read
server text as markup.

Every toast goes through `prepare`: the text is cleaned (tui.text.clean: no escape
sequences or control characters), kept to two lines of the toast's width, and shown as
plain text (markup=False: a `[/]` or `[@click=app.quit]` in a server's message is shown,
not run). At most MAX_SHOWN toasts stand at once; the oldest gives way. Where they stand
(above the status bar) and their size are in app.tcss (ToastRack, Toast).
"""

from __future__ import annotations

import re
import textwrap

from textual.app import App

from ..text import clean
from .compat import shown_notifications, withdraw_notification

MAX_SHOWN = 3
LINES = 2
TOAST_WIDTH = 60  # cells, as app.tcss sets it (and at most 60 % of the screen)
CHROME = 3  # a toast's left border and padding
RACK_SCROLLBAR = 2  # cells Textual's ToastRack keeps for its vertical scrollbar


def short_id(order_id: object) -> str:
    """The first 8 characters of an order id: enough to tell orders apart on screen
    (the whole id is in the order's row, the journal and the rejections list)."""
    text = clean(order_id, one_line=True)
    return text[:8] if len(text) > 8 else text


UUID = re.compile(r"\b([0-9a-fA-F]{8})-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")


def short_ids(text: str) -> str:
    """Every order id (a UUID) in `text` shortened to its first 8 characters."""
    return UUID.sub(r"\1", text)


def fit(text: str, width: int, lines: int = LINES) -> str:
    """At most `lines` lines of at most `width` cells; what does not fit ends in '…'."""
    rows = [row for paragraph in text.split("\n") for row in textwrap.wrap(paragraph, width) or [""]]
    if len(rows) > lines:
        rows = rows[:lines]
        rows[-1] = rows[-1][: width - 1] + "…"
    return "\n".join(rows)


def prepare(app: App, message: object, title: object, lines: int = LINES) -> tuple[str, str]:
    """(message, title) as a toast shows them: clean, plain, two lines at most (more where
    all of it matters: a file's path)."""
    # 60 % of the rack, which keeps a scrollbar's width (Textual's ToastRack scrolls)
    width = max(20, min(TOAST_WIDTH, int((app.size.width - RACK_SCROLLBAR) * 0.6)) - CHROME)
    return fit(clean(message), width, lines), clean(title, one_line=True)[:width]


def trim(app: App) -> None:
    """Remove the oldest toasts until at most MAX_SHOWN stand."""
    shown = shown_notifications(app)
    for notification in shown[: max(0, len(shown) - MAX_SHOWN)]:
        withdraw_notification(app, notification)
