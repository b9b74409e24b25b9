"""Text from outside the app (the server, the stream, the user's files) made safe to show.

One rule: such text is plain text, never markup, and reaches no widget with a control
character in it. `clean` drops C0 controls (but newline and tab where a text may have
lines), DEL, C1 controls, whole ESC/CSI/OSC/DCS sequences and the bidi overrides that can
make a line read backwards. Markup is a separate matter: callers hand the result to
widgets as `rich.text.Text` / `markup=False`, never as a markup string.

No Textual here: the broker layer uses it too.
"""

from __future__ import annotations

import re

# ESC-introduced sequences (CSI, OSC, DCS/SOS/PM/APC, two-character ones) and their
# one-byte C1 forms. A sequence cut short by the end of the text is dropped too.
_SEQUENCES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI ... final
    r"|\x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC / DCS / SOS / PM / APC ... ST or BEL
    r"|\x1b[ -/]*[0-~]?"  # two-character escapes (ESC c, ESC ( B, ...)
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # 8-bit CSI
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x9c)?"  # 8-bit OSC / DCS / ... ST
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_LINE_BREAKS = re.compile(r"[\t\n\r\x0b\x0c\u2028\u2029\x85]+")
MAX_TEXT = 2000  # characters: a server's message is a phrase, not a page

# Alpaca's symbols: US equities (BRK.B), crypto pairs (BTC/USD), OCC option symbols
# (AAPL260116C00250000, 21 characters at most).
SYMBOL = re.compile(r"[A-Z0-9][A-Z0-9./-]{0,23}")


def clean(text: object, *, one_line: bool = False, limit: int = MAX_TEXT) -> str:
    """`text` as printable plain text: escape sequences and control characters removed;
    with one_line, line breaks and tabs become single spaces. At most `limit` characters
    (longer text ends in '…')."""
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    if len(value) > 4 * limit:  # never scan a megabyte to show a line
        value = value[: 4 * limit]
    value = _SEQUENCES.sub("", value)
    if one_line:
        value = _LINE_BREAKS.sub(" ", value)
    else:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROLS.sub("", value)  # newline and tab are not in it: kept where lines are
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return value


def is_symbol(text: object) -> bool:
    """A symbol Alpaca could have sent: the only kind the app offers to trade."""
    return isinstance(text, str) and SYMBOL.fullmatch(text) is not None


def show_symbol(text: object) -> str:
    """A symbol for display: as is when it is a valid one; otherwise its characters
    escaped (\\x1b, \\u202e, ...) so the screen shows what was sent without acting on it."""
    if is_symbol(text):
        return str(text)
    value = "" if text is None else str(text)
    value = value[:64]
    escaped = "".join(ch if ch.isprintable() and not _CONTROLS.match(ch)
                      else ch.encode("unicode_escape").decode("ascii") for ch in value)
    return escaped or "?"
