"""Only the cells that changed: a filter between Textual and the terminal.

Textual repaints a changed line of a widget from the widget's left edge, and writes each
segment as its own style, text and reset. Under live prices that is most of what the app
writes, and nearly all of it is already on the terminal: a price that moves from 187.23
to 187.25 rewrites a whole table row. `ScreenDiff` remembers what it has sent (the
character and style of every cell) and forwards only the cells that differ, changing
style only where the style changes.

It reads Textual's output, not Textual: cursor positions, SGR styles, text, newlines,
private modes and OSCs. Anything else in a write (an erase, an alternate-screen switch, a
relative move, a control character, a character the terminal may measure differently)
sends that write unchanged and forgets what the terminal shows, so the next writes go out
whole. A wide or combining character's row is always written whole too. The terminal
therefore ends every write in the state Textual meant, only reached with fewer bytes;
tests/test_screen_diff.py holds that to a terminal emulator with random frames.

No Textual here (rich.cells measures characters as Textual does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rich.cells import get_character_cell_size

Pen = tuple[str, ...]  # the SGR parameter strings in force since the last reset

_TOKENS = re.compile(
    r"\x1b\[([0-?]*)([ -/]*[@-~])"  # CSI: parameters, final
    r"|\x1b\]([^\x07\x1b]*)(\x07|\x1b\\)"  # OSC ... BEL or ST
    r"|(\r?\n)"
    r"|(\r)"
    r"|([^\x00-\x1f\x7f-\x9f]+)"  # printable text
    r"|([\x00-\x1f\x7f-\x9f])",  # anything else: ESC not above, controls
    re.S,
)
_CURSOR_TO = re.compile(r"(\d*)(?:;(\d*))?")
ALTERNATE_SCREEN = {"?1049", "?1047", "?47"}
CONTINUED = ""  # the right half of a wide character
GAP_FILL = 12  # cells: rewriting a few unchanged cells can be cheaper than moving the cursor


def pen_after(pen: Pen | None, params: str) -> Pen | None:
    """The style in force after an SGR with these parameters (None: not known)."""
    if params in ("", "0"):
        return ()
    if params.startswith("0;"):
        return (params[2:],)
    return None if pen is None else pen + (params,)


def _colours(pen: Pen) -> tuple[tuple[str, ...], dict[str, str]] | None:
    """A one-SGR style read as (attributes, {"fg"|"bg"|"ul": colour}); None when it holds
    anything else than Textual writes (sub-parameters, codes not known here)."""
    if len(pen) != 1:
        return None
    codes = pen[0].split(";")
    attributes: list[str] = []
    colours: dict[str, str] = {}
    at = 0
    while at < len(codes):
        code = codes[at]
        if code in ("38", "48", "58"):
            size = {"5": 3, "2": 5}.get(codes[at + 1] if at + 1 < len(codes) else "")
            if size is None or at + size > len(codes):
                return None
            colours[{"38": "fg", "48": "bg", "58": "ul"}[code]] = ";".join(codes[at:at + size])
            at += size
            continue
        if not code.isdigit():
            return None
        number = int(code)
        if 30 <= number <= 37 or 90 <= number <= 97:
            colours["fg"] = code
        elif 40 <= number <= 47 or 100 <= number <= 107:
            colours["bg"] = code
        elif number in (1, 2, 3, 4, 5, 7, 8, 9, 21, 51, 52, 53):
            attributes.append(code)
        else:
            return None  # a reset of one attribute, a default colour...: not worth modelling
        at += 1
    return tuple(attributes), colours


def colour_change(old: Pen, new: Pen) -> str | None:
    """The SGR that turns style `old` into `new` when only colours differ (a table's green
    and red cells beside plain ones), else None."""
    before, after = _colours(old), _colours(new)
    if before is None or after is None or before[0] != after[0]:
        return None
    defaults = {"fg": "39", "bg": "49", "ul": "59"}
    parts = [after[1].get(kind, defaults[kind]) for kind in ("fg", "bg", "ul")
             if after[1].get(kind) != before[1].get(kind)]
    return f"\x1b[{';'.join(parts)}m" if parts else ""


class _Verbatim(Exception):
    """The write holds something this filter does not model: send it as it is."""


@dataclass(slots=True)
class _Cell:
    y: int
    x: int
    text: str
    pen: Pen
    width: int

    @property
    def plain(self) -> bool:
        return self.width == 1 and len(self.text) == 1


@dataclass
class ScreenDiff:
    """Feed every write for the terminal through `filter`, with the terminal's size."""

    size: tuple[int, int] | None = None  # (columns, rows)
    _chars: dict[int, list[str | None]] = field(default_factory=dict)  # None: not known
    _pens: dict[int, list[Pen | None]] = field(default_factory=dict)
    # What the incoming stream has set (None: not known)...
    _raw_pen: Pen | None = None
    _raw_at: tuple[int, int] | None = None
    # ...and what the terminal has, from what was sent. Equal at the end of every write.
    _out_pen: Pen | None = None
    _out_at: tuple[int, int] | None = None

    def forget(self) -> None:
        """The terminal's content is not known (a resize, a redraw asked for)."""
        self._chars.clear()
        self._pens.clear()

    def filter(self, data: str, size: tuple[int, int] | None) -> str:
        """What to send for `data`: the same screen, in fewer bytes when possible."""
        if size != self.size:
            self.size = size
            self.forget()
        if size is None:
            return self._verbatim(data)
        raw_pen, raw_at = self._raw_pen, self._raw_at
        try:
            ops = self._parse(data, size)
        except _Verbatim:
            self._raw_pen, self._raw_at = raw_pen, raw_at
            return self._verbatim(data)
        return self._emit(ops)

    # ---- reading the incoming stream --------------------------------------------------------

    def _parse(self, data: str, size: tuple[int, int]) -> list[_Cell | str]:
        """Cells to draw and sequences to pass on, in order; raises _Verbatim."""
        columns, rows = size
        ops: list[_Cell | str] = []
        for match in _TOKENS.finditer(data):
            params, final, osc, _end, newline, cr, text, other = match.groups()
            if final is not None:
                if final in "Hf" and (at := _CURSOR_TO.fullmatch(params)):
                    y, x = int(at.group(1) or 1) - 1, int(at.group(2) or 1) - 1
                    if not (0 <= y < rows and 0 <= x < columns):
                        raise _Verbatim
                    self._raw_at = (y, x)
                elif final == "m":
                    self._raw_pen = pen_after(self._raw_pen, params)
                elif final in "hl" and params.startswith("?") and ";" not in params \
                        and params not in ALTERNATE_SCREEN:
                    ops.append(match.group())  # a mode: the cursor's visibility, the mouse...
                else:
                    raise _Verbatim  # an erase, a relative move, a scroll region...
            elif osc is not None:
                if osc.startswith("8;"):
                    raise _Verbatim  # a hyperlink belongs to the cells after it
                ops.append(match.group())  # a title, the clipboard: no cell changes
            elif newline is not None:
                # Textual follows each with a cursor position; on the last row it would scroll.
                if self._raw_at is None or self._raw_at[0] + 1 >= rows:
                    raise _Verbatim
                self._raw_at = None
            elif cr is not None:
                if self._raw_at is None:
                    raise _Verbatim
                self._raw_at = (self._raw_at[0], 0)
            elif text is not None:
                self._cells(text, columns, ops)
            else:
                raise _Verbatim  # ESC not understood above, BEL, backspace, tab...
        return ops

    def _cells(self, text: str, columns: int, ops: list[_Cell | str]) -> None:
        if self._raw_at is None or self._raw_pen is None:
            raise _Verbatim
        y, x = self._raw_at
        pen = self._raw_pen
        last: _Cell | None = None
        for char in text:
            width = get_character_cell_size(char)
            if width == 0:
                if last is None or x >= columns:
                    raise _Verbatim  # alone, or at the edge where terminals differ on wrapping
                last.text += char  # a combining mark: part of the cell before it
                continue
            if x + width > columns:
                raise _Verbatim  # would wrap
            last = _Cell(y, x, char, pen, width)
            ops.append(last)
            x += width
        self._raw_at = (y, x)

    # ---- writing what changed ---------------------------------------------------------------

    def _emit(self, ops: list[_Cell | str]) -> str:
        out: list[str] = []
        columns = self.size[0] if self.size else 0
        whole_rows = {op.y for op in ops if isinstance(op, _Cell) and not op.plain}
        if not whole_rows and all(isinstance(op, _Cell) for op in ops) \
                and len({(op.y, op.x) for op in ops}) == len(ops):  # type: ignore[union-attr]
            # Plain cells, each written once: their order does not matter.
            changed = [op for op in ops if self._changed(op, columns)]  # type: ignore[arg-type]
            if changed:
                out.append(self._send_in_any_order(changed, columns))
            self._settle(out)
            return "".join(out)
        for op in ops:
            if isinstance(op, str):
                out.append(op)
                continue
            chars, pens = self._row(op.y, columns)
            if op.y not in whole_rows and chars[op.x] == op.text and pens[op.x] == op.pen:
                continue
            text, self._out_pen, self._out_at = self._plan([op], {}, self._out_pen, self._out_at)
            out.append(text)
            self._commit(op, chars, pens)
        self._settle(out)
        return "".join(out)

    def _send_in_any_order(self, cells: list[_Cell], columns: int) -> str:
        """The shorter of two orders: a style at a time (a table's changes alternate styles
        by column: green, plain, red), or row by row (fewer and shorter cursor moves)."""
        final = {(cell.y, cell.x): cell for cell in cells}
        styles: dict[Pen, int] = {}
        for cell in cells:
            styles.setdefault(cell.pen, len(styles))
        by_style = sorted(cells, key=lambda cell: (styles[cell.pen], cell.y, cell.x))
        by_row = sorted(cells, key=lambda cell: (cell.y, cell.x))
        plans = [self._plan(order, final, self._out_pen, self._out_at) for order in (by_style, by_row)]
        text, self._out_pen, self._out_at = min(plans, key=lambda plan: len(plan[0]))
        for cell in cells:
            self._commit(cell, *self._row(cell.y, columns))
        return text

    def _plan(self, cells: list[_Cell], final: dict[tuple[int, int], _Cell], pen: Pen | None,
              at: tuple[int, int] | None) -> tuple[str, Pen | None, tuple[int, int] | None]:
        """What draws `cells` in this order from style `pen` and cursor `at`, and the style
        and cursor after it. `final`: cells of this write not yet in the record."""
        out: list[str] = []
        for cell in cells:
            if pen != cell.pen:
                out.append(self._pen_sequence(pen, cell.pen))
                pen = cell.pen
            if at != (cell.y, cell.x):
                out.append(self._gap(at, cell.y, cell.x, pen, final) or self._move(at, cell.y, cell.x))
            out.append(cell.text)
            # The terminal's width for an unusual character may not be ours: move before the next.
            at = (cell.y, cell.x + cell.width) if cell.plain else None
        return "".join(out), pen, at

    def _commit(self, cell: _Cell, chars: list[str | None], pens: list[Pen | None]) -> None:
        """Record `cell` as shown."""
        x, end = cell.x, cell.x + cell.width
        if chars[x] == CONTINUED and x > 0:
            chars[x - 1] = None  # half of a wide character was overwritten: not known now
        if end < len(chars) and chars[end] == CONTINUED:
            chars[end] = None
        chars[x], pens[x] = cell.text, cell.pen
        for right in range(x + 1, end):
            chars[right], pens[right] = CONTINUED, cell.pen
        if not cell.plain:
            chars[x] = None  # never taken as already shown

    def _changed(self, cell: _Cell, columns: int) -> bool:
        chars, pens = self._row(cell.y, columns)
        return chars[cell.x] != cell.text or pens[cell.x] != cell.pen

    def _row(self, y: int, columns: int) -> tuple[list[str | None], list[Pen | None]]:
        chars = self._chars.get(y)
        if chars is None:
            chars = self._chars[y] = [None] * columns
            self._pens[y] = [None] * columns
        return chars, self._pens[y]

    def _gap(self, at: tuple[int, int] | None, y: int, x: int, pen: Pen | None,
             final: dict[tuple[int, int], _Cell]) -> str | None:
        """Reach (y, x) by writing again the cells before it, when that is shorter than moving
        the cursor and needs no change of style; what they will show (`final`, else what they
        show now) is written, so the order of this write's cells does not matter."""
        if at is None or at[0] != y or not 0 < x - at[1] <= GAP_FILL:
            return None
        chars, pens = self._chars.get(y), self._pens.get(y)
        if chars is None or pens is None:
            return None
        text = []
        for column in range(at[1], x):
            cell = final.get((y, column))
            char, style = (cell.text, cell.pen) if cell is not None else (chars[column], pens[column])
            if char is None or len(char) != 1 or style != pen:
                return None
            text.append(char)
        gap = "".join(text)
        return gap if len(gap.encode()) < len(self._move(at, y, x)) else None

    def _move(self, at: tuple[int, int] | None, y: int, x: int) -> str:
        """The shortest way from the cursor at `at` to (y, x): absolute, or relative on the
        same row or column. Relative only from a known place inside the screen: after the
        last column a terminal waits to wrap, and a relative move starts a column before."""
        absolute = f"\x1b[{y + 1};{x + 1}H"
        if at is None or self.size is None or at[1] >= self.size[0]:
            return absolute
        oy, ox = at
        if oy == y:
            relative = f"\x1b[{x - ox}C" if x > ox else f"\x1b[{ox - x}D"
        elif ox == x:
            relative = f"\x1b[{y - oy}B" if y > oy else f"\x1b[{oy - y}A"
        else:
            return absolute
        return min(relative, absolute, key=len)

    @staticmethod
    def _pen_sequence(old: Pen | None, pen: Pen) -> str:
        if not pen:
            return "\x1b[0m"
        if old:
            change = colour_change(old, pen)
            if change is not None:
                return change
        reset = "" if old == () else "0;"
        return f"\x1b[{reset}{';'.join(pen)}m"

    def _settle(self, out: list[str]) -> None:
        """Leave the terminal with the style and cursor the incoming stream left it with."""
        if self._raw_pen is not None and self._out_pen != self._raw_pen:
            out.append(self._pen_sequence(self._out_pen, self._raw_pen))
        self._out_pen = self._raw_pen
        if self._raw_at is not None and self._out_at != self._raw_at:
            out.append(f"\x1b[{self._raw_at[0] + 1};{self._raw_at[1] + 1}H")
        self._out_at = self._raw_at

    def _verbatim(self, data: str) -> str:
        """`data` as it came: nothing on the terminal is known any more but what a cheap
        reading of the write's end tells (its last style and cursor position, if any)."""
        self.forget()
        self._raw_pen, self._raw_at = self._track(data)
        self._out_pen, self._out_at = self._raw_pen, self._raw_at
        return data

    def _track(self, data: str) -> tuple[Pen | None, tuple[int, int] | None]:
        """The style and cursor after a write sent as it was, where they can be known."""
        pen, at = self._raw_pen, self._raw_at
        for match in _TOKENS.finditer(data):
            params, final, osc, _end, newline, cr, text, other = match.groups()
            if final == "m":
                pen = pen_after(pen, params)
            elif final is not None and final in "Hf" and (cup := _CURSOR_TO.fullmatch(params)):
                at = (int(cup.group(1) or 1) - 1, int(cup.group(2) or 1) - 1)
            elif osc is not None or (final in ("h", "l") and params.startswith("?")):
                continue
            else:
                at = None  # text, newlines, other sequences: the cursor moved somewhere
        return pen, at
