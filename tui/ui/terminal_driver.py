"""Textual's terminal driver, with what it writes passed through `ScreenDiff`, and Esc
read as Esc however fast the next key follows it.

`App.get_driver_class` is Textual's public way to choose a driver; this keeps Textual's
own (modes, the writer thread, its key parser) and changes what reaches the terminal and
what reaches the parser.

Why the keys: a terminal sends Alt+Q as ESC q, so Textual reads an escape followed in the
same read by a character as one key — `alt+q`, `ctrl+left` for ESC b, `£` for ESC 3. Over
SSH (or `tmux send-keys Escape 3 f`) keys typed apart arrive in one read, and Esc then 3
became `£`: not what the same keys typed slowly do. This app binds no Alt key, so an
escape followed by anything that does not start a terminal sequence (CSI, SS3, OSC, DCS…)
is sent to the parser as the kitty protocol's unambiguous Esc (CSI 27 u): always Esc, then
the key. An escape that ends a read is left to Textual's own wait.
"""

from __future__ import annotations

import os
import sys

from textual.driver import Driver

from . import compat
from .screen_diff import ScreenDiff

ESCAPE_KEY = "\x1b[27u"  # CSI 27 u: the Esc key, in a form no other key shares
# What may follow an escape in a sequence a terminal sends: CSI [ (keys, mouse, replies),
# SS3 O (arrows and F1-F4 in application mode), OSC ] and DCS P (replies), ST \\ (their
# end); and DEL, for Alt+Backspace (delete a word in a field: Esc then Backspace typed
# together is far less likely than that). Esc then O stays ambiguous; Esc then X (close
# all), 3, b or any other key does not.
SEQUENCE_STARTS = frozenset("[O]P\\\x7f")


class EscapesApart:
    """Reads from the terminal, with each Esc that is not the start of a sequence made the
    unambiguous Esc key. An escape that ends a read is held until the next read says what
    it was (or until `idle`: nothing followed it, so it was the Esc key)."""

    def __init__(self) -> None:
        self.held = False  # the last read ended with an escape, not yet passed on

    def feed(self, data: str) -> str:
        if self.held:
            data, self.held = "\x1b" + data, False
        if "\x1b" not in data:
            return data
        out = []
        for index, char in enumerate(data):
            if char != "\x1b":
                out.append(char)
            elif index + 1 == len(data):
                self.held = True  # what follows (if anything) says what it is
            else:
                out.append("\x1b" if data[index + 1] in SEQUENCE_STARTS else ESCAPE_KEY)
        return "".join(out)

    def idle(self) -> str:
        """Nothing more came: a held escape was the Esc key."""
        if not self.held:
            return ""
        self.held = False
        return ESCAPE_KEY


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


def keys_apart(base: type[Driver]) -> type[Driver]:
    """`base` (Textual's LinuxDriver) reading Esc followed by a key as two keys."""

    class KeysApartDriver(base):  # type: ignore[valid-type, misc]
        def run_input_thread(self) -> None:
            compat.run_input_thread(self, EscapesApart())

    KeysApartDriver.__name__ = KeysApartDriver.__qualname__ = f"KeysApart{base.__name__}"
    return KeysApartDriver
