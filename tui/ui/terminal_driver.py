"""Textual's terminal driver, with what it writes passed through `ScreenDiff`.

`App.get_driver_class` is Textual's public way to choose a driver; this keeps Textual's
own (reading keys, modes, the writer thread) and only changes what reaches the terminal.
"""

from __future__ import annotations

import os
import sys

from textual.driver import Driver

from .screen_diff import ScreenDiff


def terminal_size() -> tuple[int, int] | None:
    """(columns, rows) of the terminal Textual writes to (stderr, else stdout)."""
    for stream in (sys.__stderr__, sys.__stdout__):
        try:
            size = os.get_terminal_size(stream.fileno())
        except (AttributeError, OSError, ValueError):
            continue
        return size.columns, size.lines
    return None


def diffing(base: type[Driver], screen_diff: ScreenDiff) -> type[Driver]:
    """`base` sending only the cells that changed (see tui/ui/screen_diff.py); the app
    keeps `screen_diff` to make it forget the screen (Ctrl+L)."""

    class DiffingDriver(base):  # type: ignore[valid-type, misc]
        def write(self, data: str) -> None:
            sent = screen_diff.filter(data, terminal_size())
            if sent:
                super().write(sent)

    DiffingDriver.__name__ = DiffingDriver.__qualname__ = f"Diffing{base.__name__}"
    return DiffingDriver
