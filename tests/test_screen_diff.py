"""ScreenDiff (tui/ui/screen_diff.py): what it sends leaves a terminal exactly as Textual's
own output would, in fewer bytes.

A terminal emulator (pyte) takes the raw writes and another takes the filtered ones; after
every write the two must show the same characters, with the same colours and attributes,
and the same cursor. Frames are drawn the way Textual draws them (a cursor position, then
styled segments each followed by a reset, newlines between lines) on a small screen so
that they overlap often, with wide and combining characters, modes, titles, and things
the filter does not model (an erase, the alternate screen) mixed in.
"""

from __future__ import annotations

import re

import pyte
from hypothesis import example, given, settings, strategies as st

from tui.ui.screen_diff import ScreenDiff

from .harness.profiles import examples

COLUMNS, ROWS = 24, 6
STYLES = ["38;5;24;48;5;233", "1;38;5;195;48;5;32", "38;5;71;48;5;235", "31", "7", "4;38;5;167",
          "38;5;71;48;5;233", "1;38;5;71;48;5;32", "38;2;10;20;30;44", "92;48;2;1;2;3", "38;5;24"]
CHARS = ["a", "b", "1", "2", " ", ".", "▇", "─", "漢", "ｗ", "e\u0301"]  # wide and combining too


class Pair:
    """Two emulated terminals: one fed the raw writes, one what ScreenDiff made of them."""

    def __init__(self, columns: int = COLUMNS, rows: int = ROWS) -> None:
        self.size = (columns, rows)
        self.raw, self.filtered = pyte.Screen(columns, rows), pyte.Screen(columns, rows)
        self._raw, self._filtered = pyte.Stream(self.raw), pyte.Stream(self.filtered)
        self.diff = ScreenDiff()
        self.raw_bytes = self.sent_bytes = 0
        self.write("\x1b[0m")  # until a reset, the style on the terminal is not known: everything goes out

    def write(self, data: str) -> str:
        sent = self.diff.filter(data, self.size)
        self._raw.feed(data)
        self._filtered.feed(sent)
        self.raw_bytes += len(data.encode())
        self.sent_bytes += len(sent.encode())
        return sent

    def assert_same(self) -> None:
        # Cell by cell: pyte's `display` breaks on half a wide character, which real terminals blank.
        for y in range(self.size[1]):
            for x in range(self.size[0]):
                assert self.filtered.buffer[y][x] == self.raw.buffer[y][x], (y, x)
        assert (self.filtered.cursor.x, self.filtered.cursor.y) == (self.raw.cursor.x, self.raw.cursor.y)


def cup(y: int, x: int) -> str:
    return f"\x1b[{y + 1};{x + 1}H"


def width(text: str) -> int:
    return sum(2 if c in "漢ｗ" else 0 if c == "\u0301" else 1 for c in text)


@st.composite
def chop(draw: st.DrawFn) -> str:
    """A line's fragment as Textual writes it: where, then styled segments."""
    y, x = draw(st.integers(0, ROWS - 1)), draw(st.integers(0, COLUMNS - 1))
    out = [cup(y, x)]
    for _ in range(draw(st.integers(1, 4))):
        text = "".join(draw(st.lists(st.sampled_from(CHARS), min_size=1, max_size=8)))
        while text and x + width(text) > COLUMNS:
            text = text[:-1]
        if text.endswith("e"):
            text += "\u0301" if draw(st.booleans()) else ""
        if not text:
            break
        style = draw(st.sampled_from(STYLES + [""]))
        reset = draw(st.sampled_from(["\x1b[0m", "\x1b[0m", ""]))  # Textual always resets; others may not
        out.append((f"\x1b[{style}m" if style else "") + text + reset)
        x += width(text)
    if y < ROWS - 1 and draw(st.booleans()):
        out.append("\n" + cup(y + 1, 0) + "\x1b[38;5;24mxy\x1b[0m")  # a newline, as between a LayoutUpdate's lines
    return "".join(out)


PIECES = st.one_of(chop(), chop(), chop(), chop(),
                   st.sampled_from(["\x1b[?25l", "\x1b[?25h", "\x1b]0;title\x07", "\x1b[2J", "\x1b[?2026h",
                                    "\x1b[?2026l", "\x1b[0m", "\r" + "ab", "\x1b[5;3f", "\x1b[H"]))
WRITE = st.builds(lambda pieces, y, x: "".join(pieces) + cup(y, x),
                  st.lists(PIECES, min_size=1, max_size=6), st.integers(0, ROWS - 1), st.integers(0, COLUMNS - 1))


@settings(max_examples=examples(150, 2000))
@given(st.lists(WRITE, min_size=1, max_size=12))
@example([cup(0, 0) + "\x1b[31mabc\x1b[0m" + cup(0, 0), cup(0, 0) + "\x1b[31mabd\x1b[0m" + cup(0, 0)])
@example([cup(0, 0) + "漢漢\x1b[0m" + cup(0, 0), cup(0, 1) + "ab" + cup(0, 0), cup(0, 0) + "漢漢" + cup(0, 0)])
@example([cup(2, 0) + "e\u0301e\u0301" + cup(0, 0), cup(2, 0) + "ee" + cup(0, 0)])
@example([cup(0, 0) + "\x1b[1mab\x1b[31mcd" + cup(0, 0), cup(0, 0) + "ab\x1b[0m" + cup(0, 0)])
def test_the_filtered_writes_leave_the_terminal_as_the_raw_ones(writes: list[str]) -> None:
    pair = Pair()
    for data in writes:
        pair.write(data)
        pair.assert_same()


def row(price: str, pnl: str) -> str:
    """A positions row as Textual repaints it: every cell its own style and reset."""
    cells = [("38;5;253;48;5;234", " AAPL   "), ("38;5;253;48;5;234", " long  "), ("38;5;253;48;5;234", f" {price} "),
             ("38;5;71;48;5;234", f" {pnl} "), ("38;5;253;48;5;234", " GTC ")]
    return cup(3, 1) + "".join(f"\x1b[{style}m{text}\x1b[0m" for style, text in cells) + cup(0, 0)


def test_a_moved_price_sends_only_the_changed_characters() -> None:
    pair = Pair(columns=60, rows=6)
    first = pair.write(row("187.23", "+12.40"))
    assert "AAPL" in first and "187.23" in first
    sent = pair.write(row("187.25", "+12.60"))
    pair.assert_same()
    assert "AAPL" not in sent and "long" not in sent
    assert "5" in sent and "6" in sent
    assert len(sent) < len(row("187.25", "+12.60")) / 2, repr(sent)
    assert pair.write(row("187.25", "+12.60")) in ("", cup(0, 0))  # nothing changed: nothing but the cursor


def test_one_style_change_per_style() -> None:
    pair = Pair(columns=60, rows=6)
    sent = pair.write(row("187.23", "+12.40") + row("187.23", "-1.00").replace("\x1b[4;", "\x1b[5;"))
    # Two styles, alternating by column on two rows: each set once, and the reset at the end.
    # Textual's own output sets and resets a style per cell: 20 times.
    assert len(re.findall(r"\x1b\[[0-9;]*m", sent)) == 3, repr(sent)
    pair.assert_same()


def test_an_erase_or_the_alternate_screen_goes_out_as_it_came_and_everything_is_sent_again() -> None:
    pair = Pair()
    pair.write(cup(0, 0) + "\x1b[31mabc\x1b[0m" + cup(0, 0))
    for unknown in ("\x1b[2J", "\x1b[?1049h", "\x1b[K", "\x1b7", "\x1b[3A"):
        assert pair.write(unknown) == unknown
        again = pair.write(cup(0, 0) + "\x1b[31mabc\x1b[0m" + cup(0, 0))
        assert "abc" in again
        pair.assert_same()


def test_a_resize_forgets_the_screen() -> None:
    diff = ScreenDiff()
    diff.filter("\x1b[0m", (24, 6))
    frame = cup(0, 0) + "\x1b[31mabc\x1b[0m" + cup(0, 0)
    assert "abc" in diff.filter(frame, (24, 6))
    assert "abc" not in diff.filter(frame, (24, 6))
    assert "abc" in diff.filter(frame, (30, 8))
    assert diff.filter(frame, None) == frame  # no size known: everything as it came


def test_text_past_the_right_edge_or_a_newline_on_the_last_row_goes_out_as_it_came() -> None:
    pair = Pair()
    for data in (cup(0, 20) + "abcdefgh", cup(ROWS - 1, 0) + "a\n" + cup(0, 0)):
        assert pair.write(data) == data
        pair.assert_same()


def test_a_hyperlink_goes_out_as_it_came() -> None:
    data = cup(0, 0) + "\x1b]8;id=1;https://example.com\x1b\\link\x1b]8;;\x1b\\" + cup(0, 0)
    assert Pair().write(data) == data
