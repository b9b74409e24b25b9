"""A DataTable that is refreshed by diff, keeps its cursor on the same row, and knows vim keys.

Figures are never cut: a column widens as soon as one of its cells does, and when the
table is narrower than its columns, whole columns are hidden, lowest priority first (the
table reports which, for its pane's border), rather than any figure losing its end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from .. import keymap
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.message import Message
from ..compat import TableInternals
from textual.widgets.data_table import Column, RowKey
from ..format import DOWN, UP, WARN

CELL_RENDERS = 1024  # rendered cells kept per table
Cell = tuple[str, str]  # (text, tone: "" | "up" | "down" | "flat" | "dim" | "warn")
Row = tuple[str, Sequence[Cell]]  # (row key, cells)

TONE_STYLES = {"up": UP, "down": DOWN, "dim": "dim", "warn": f"bold {WARN}", "total": "bold"}


class CellText:
    """A cell's text, drawn as one segment cut or padded to the column: a refresh of 1,000
    positions changes thousands of cells, and DataTable redraws every cell on screen after
    any change, so each one has to be cheap (a rich Text goes through wrapping and
    justifying: about twice the cost)."""

    __slots__ = ("text", "style", "justify", "width")

    def __init__(self, text: str, style: str, justify: str) -> None:
        self.text, self.style, self.justify = text, style, justify
        # Measured where the cell is made (a worker thread, for positions): the UI thread
        # compares it with its column's width on every change.
        self.width = cell_len(text)

    def fit(self, width: int) -> str:
        """The text cut or padded to exactly `width` cells."""
        text = self.text
        length = cell_len(text)
        if length > width:
            text, length = set_cell_size(text, width), width
        pad = " " * (width - length)
        return pad + text if self.justify == "right" else text + pad

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        yield Segment(self.fit(options.max_width), console.get_style(self.style) if self.style else None)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)

    def __str__(self) -> str:
        return self.text


def cell_text(cell: Cell, right: bool) -> CellText:
    text, tone = cell
    return CellText(text, TONE_STYLES.get(tone, ""), "right" if right else "left")


Changes = dict[str, list[tuple[int, CellText]]]  # row key -> [(column index, new cell)]


def changed_cells(cells: Sequence[Cell], old: Sequence[Cell], rights: Sequence[bool]) -> list[tuple[int, CellText]]:
    return [(index, cell_text(cell, rights[index]))
            for index, (cell, before) in enumerate(zip(cells, old)) if cell != before]


@dataclass(frozen=True)
class TableUpdate:
    """New rows for a LiveTable, with their cell changes against the previous update
    (None when rows came, went or moved). `base` and `generation` number the updates, so
    the table takes the changes only if it shows exactly the rows they were made from."""

    rows: list[Row]
    wanted: dict[str, tuple[Cell, ...]]
    changes: Changes | None
    base: int
    generation: int


class RowDiffer:
    """Diffs each set of rows against the one before, on the worker thread that made them:
    with 1,000 positions, comparing rows and making the changed cells is most of a
    refresh's cost, and the UI thread then only stores the cells. Not thread-safe: one
    loader at a time (refreshes of one resource never overlap)."""

    def __init__(self, columns: Sequence[tuple[str, str, bool]]) -> None:
        self._rights = [right for _, _, right in columns]
        self._last: dict[str, tuple[Cell, ...]] | None = None
        self._order: list[str] = []
        self._generation = 0

    def diff(self, rows: list[Row]) -> TableUpdate:
        wanted = {key: tuple(cells) for key, cells in rows}
        order = [key for key, _ in rows]
        changes: Changes | None = None
        if self._last is not None and order == self._order:
            last, rights = self._last, self._rights
            changes = {}
            for key, cells in wanted.items():
                old = last[key]
                if old != cells:
                    changes[key] = changed_cells(cells, old, rights)
        self._last, self._order = wanted, order
        self._generation += 1
        return TableUpdate(rows, wanted, changes, self._generation - 1, self._generation)


def hidden_note(labels: Sequence[str]) -> str:
    """What a pane's border says of the columns too wide to show: `hidden: Avg, Today`."""
    return f"hidden: {', '.join(labels)}" if labels else ""


@dataclass
class FitColumn(Column):
    """A DataTable column that can be hidden whole: it then takes no width at all."""

    hidden: bool = False

    def get_render_width(self, data_table: Any) -> int:
        return 0 if self.hidden else super().get_render_width(data_table)


class LiveTable(TableInternals):
    BINDINGS = keymap.bindings(keymap.TABLES)

    class ColumnsHidden(Message):
        """The set of hidden columns changed; `labels` are theirs, in the table's order."""

        def __init__(self, table: "LiveTable", labels: tuple[str, ...]) -> None:
            super().__init__()
            self.table, self.labels = table, labels

    def __init__(self, columns: Sequence[tuple[str, str, bool]], *, drop_order: Sequence[str] = (),
                 footer_keys: Sequence[str] = (), **kwargs) -> None:
        """columns: (key, label, right-aligned). drop_order: the keys of the columns that
        may be hidden when the table is too narrow, the first to go first; the others are
        always shown. footer_keys: rows the cursor never rests on (a totals row)."""
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._columns = list(columns)
        self._drop_order = list(drop_order)
        self.footer_keys = frozenset(footer_keys)
        self.hidden_columns: tuple[str, ...] = ()  # labels of the columns hidden now
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self._row_keys: dict[str, RowKey] = {}
        self._generation: int | None = None  # the TableUpdate shown, if the last change came as one
        # Rendered cells by the cell object itself (a changed cell is a new CellText): see _render_cell.
        # Sized for the cells a big screen shows (at 120×40 about 40 rows of 9) and their
        # cursor and hover states: every entry is memory held for good once the cache fills.
        self._cell_renders: LRUCache[tuple, list[list[Segment]]] = LRUCache(CELL_RENDERS)

    def on_mount(self) -> None:
        self._ensure_columns()

    def _ensure_columns(self) -> None:
        # Data can arrive before on_mount has run: whoever comes first adds the columns.
        if not self.columns:
            for key, label, right in self._columns:
                column_key = self.add_column(Text(label, justify="right" if right else "left"), key=key)
                plain = self.columns[column_key]
                self.columns[column_key] = FitColumn(plain.key, plain.label, plain.width, plain.content_width,
                                                     plain.auto_width)

    # ---- widths: grow with the cells, hide whole columns when the table is too narrow ----

    def _measure_columns(self) -> None:
        """Every column's width from all its cells (after rows came or went: a column
        whose widest cell left may narrow, and give room back to a hidden one)."""
        columns = self.ordered_columns
        widths = [cell_len(column.label.plain) for column in columns]
        keys = [column.key for column in columns]
        for row in self.all_row_cells():
            for index, key in enumerate(keys):
                cell = row.get(key)
                width = cell.width if isinstance(cell, CellText) else cell_len(str(cell or ""))
                if width > widths[index]:
                    widths[index] = width
        for column, width in zip(columns, widths):
            column.content_width = width

    def _available_width(self) -> int:
        return self.scrollable_content_region.width

    def _fit_columns(self) -> bool:
        """Hide columns in drop order until the rest fit whole; then show again any
        hidden one that still fits in what is left (highest priority first). True if the
        hidden set changed (the caller then has the table redrawn)."""
        available = self._available_width()
        columns = {column.key.value: column for column in self.ordered_columns}
        if available <= 0 or not columns:
            return False  # not laid out yet: nothing to fit to
        pad = 2 * self.cell_padding

        def width(key: str) -> int:
            return columns[key].content_width + pad

        needed = sum(width(key) for key in columns)
        hidden: list[str] = []
        for key in self._drop_order:
            if needed <= available:
                break
            if key in columns:
                hidden.append(key)
                needed -= width(key)
        for key in reversed(list(hidden)):  # highest priority first: back in if it fits
            if needed + width(key) <= available:
                hidden.remove(key)
                needed += width(key)
        changed = False
        for key, column in columns.items():
            if column.hidden != (key in hidden):
                column.hidden = key in hidden
                changed = True
        if changed:
            self.hidden_columns = tuple(column.label.plain for column in columns.values() if column.hidden)
            self.post_message(self.ColumnsHidden(self, self.hidden_columns))
        return changed

    def _relayout(self) -> None:
        """Columns changed width or visibility: every line is drawn again, and the
        scrollable size follows (DataTable recomputes it when idle)."""
        self._fit_columns()
        self.invalidate_renders()
        self.require_dimensions()
        self.check_idle()
        self.refresh()

    def on_resize(self) -> None:
        if self._fit_columns():
            self._relayout()

    def watch_show_vertical_scrollbar(self) -> None:
        # The scrollbar takes a column of the table's width (or gives it back).
        if self.is_mounted and self._fit_columns():
            self._relayout()

    def dimensions_measured(self) -> None:
        # DataTable measured new rows' cells (when idle): widths may have grown.
        if self._fit_columns():
            self.invalidate_renders()
            self.refresh()
            self.measure_new_rows(())

    # ---- the cursor never rests on a footer row (the totals) ----

    def validate_cursor_coordinate(self, value: Coordinate) -> Coordinate:
        value = super().validate_cursor_coordinate(value)
        if self.footer_keys and self.row_count:
            row = value.row
            while row > 0 and getattr(self.row_key_at(row), "value", None) in self.footer_keys:
                row -= 1
            value = Coordinate(row, value.column)
        return value

    @property
    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # cursor outside the rows while they change
            return None

    def draw_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                  cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        """DataTable keys its cell cache on a counter that any change bumps, so a price tick
        in one row re-renders every cell on screen; most of them did not change. Here a
        render is reused while the cell object and everything else it depends on are the
        same."""
        if width <= 0:  # a hidden column: nothing at all, in every line of the row
            height = self.header_height if row_index < 0 else self.rows[self.row_key_at(row_index)].height
            return [[] for _ in range(height)]
        if row_index < 0 or column_index < 0:  # header, row labels
            return self.default_draw_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self.row_key_at(row_index)
        cell = self.row_cells(row_key).get(self.column_key_at(column_index))
        height = self.rows[row_key].height
        key = (cell, row_index, column_index, base_style, width, cursor, hover, self.render_state(), height)
        lines = self._cell_renders.get(key)
        if lines is None:
            if isinstance(cell, CellText) and width > 2 * self.cell_padding and height == 1:
                lines = self._draw_cell_text(cell, row_index, column_index, base_style, width, cursor, hover)
            else:
                lines = self.default_draw_cell(row_index, column_index, base_style, width, cursor, hover)
            self._cell_renders.set(key, lines)
        return lines

    def _draw_cell_text(self, cell: CellText, row_index: int, column_index: int, base_style: Style, width: int,
                        cursor: bool, hover: bool) -> list[list[Segment]]:
        """What DataTable draws for a one-line CellText, without Rich's render
        pipeline (Styled, Padding, line splitting: most of a cell's cost, for one segment).
        Same styles, in the same order: the row's base style with the cell's place as
        meta (for mouse clicks), the component style, the cell's own style, then the
        post style. tests/test_table_render.py holds it to DataTable's own output."""
        fixed = row_index < self.fixed_rows or column_index < self.fixed_columns
        component_style, post_style = self.cell_styles(fixed, hover, cursor)
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        text_style = pre_style + self.app.console.get_style(cell.style) if cell.style else pre_style
        pad = self.cell_padding
        text = Segment(cell.fit(width - 2 * pad), text_style + post_style)
        if not pad:
            return [[text]]
        edge = Segment(" " * pad, pre_style + post_style)
        return [[edge, text, edge]]

    def caches_cleared(self) -> None:
        self._cell_renders.clear()

    def notify_style_update(self) -> None:
        self._cell_renders.clear()  # before super(), which repaints
        super().notify_style_update()

    def _set_cells(self, changes: Changes) -> None:
        """update_cell without its repaint of the whole table: only the visible cells that
        changed are redrawn, so a price tick costs the terminal the bytes of those cells
        (thin SSH links). Uses DataTable's cell store and render-cache counter as
        update_cell does, bumping the counter once (its caches, ordered_rows among them,
        are keyed on it: once per cell made a 1,000-row refresh quadratic).
        changes: row key -> [(column index, new cell)]."""
        if not changes:
            return
        ordered = self.ordered_columns
        columns = [column.key for column in ordered]
        widened = False
        for key, cells in changes.items():
            row = self.row_cells(self._row_keys[key])
            for column, value in cells:
                row[columns[column]] = value
                # DataTable widens a column only through update_cell(update_width=True),
                # which measures when idle, after the cut cell was drawn: widen it now.
                if value.width > ordered[column].content_width:
                    ordered[column].content_width = value.width
                    widened = True
        self.invalidate_renders()
        if widened:  # every row moves: draw them all, and hide a column if they no longer fit
            self._relayout()
            return
        # Only cells on screen need drawing now: per changed row, the span from its first to
        # its last changed column (the terminal is sent just those cells: a price tick on 30
        # rows costs a few KB, not 30 whole lines). Rows here are one line high.
        top = max(0, self.scroll_offset.y - self.header_height)
        bottom = min(self.row_count, top + self.size.height + 1)
        edges = [0]
        for column in ordered:
            edges.append(edges[-1] + column.get_render_width(self))
        for row in range(top, bottom):
            cells = changes.get(self.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value)
            if cells:
                first, last = min(c for c, _ in cells), max(c for c, _ in cells)
                left, right = edges[first], edges[last + 1]
                if right > left:
                    self.refresh_table_region(Region(left, self.header_height + row, right - left, 1))

    def apply(self, update: TableUpdate) -> None:
        """Show an update from a RowDiffer: its cell changes when they were made against
        what the table shows, else a full sync."""
        if update.changes is not None and self._generation == update.base and self.columns:
            with self.app.batch_update():
                self._set_cells(update.changes)
            self._cells = update.wanted
        else:
            self.sync(update.rows)
        self._generation = update.generation

    def sync(self, rows: Sequence[Row]) -> bool:
        """Make the table show `rows`, touching only what changed. True if anything did."""
        self._generation = None
        self._ensure_columns()
        wanted = {key: tuple(cells) for key, cells in rows}
        order = [key for key, _ in rows]
        current = list(self._cells)
        if wanted == self._cells and order == current:
            return False
        rights = [right for _, _, right in self._columns]
        selected = self.selected_key
        kept = [k for k in current if k in wanted]
        appendable = order[:len(kept)] == kept
        changes: Changes = {}
        with self.app.batch_update():
            if not appendable:  # rows moved or were inserted above others: rebuild once
                self.clear()
                self._cells = {}
                self._row_keys = {}
            for key in [k for k in self._cells if k not in wanted]:
                self.remove_row(self._row_keys.pop(key))
                del self._cells[key]
            for key in order:
                cells = wanted[key]
                old = self._cells.get(key)
                if old is None:
                    # DataTable's own key object: dict lookups with it stop at identity
                    self._row_keys[key] = self.add_row(*(cell_text(c, r) for c, r in zip(cells, rights)), key=key)
                elif old != cells:
                    changes[key] = changed_cells(cells, old, rights)
                self._cells[key] = cells
            self._set_cells(changes)
            if self.dimensions_required:
                # Rows came or went: measure every column now (DataTable would only when
                # idle, after drawing new rows at the old widths), fit, and draw them all.
                self._measure_columns()
                self._relayout()
            if selected is not None and selected in self._cells:
                self.move_cursor(row=self.get_row_index(selected), animate=False)
        return True
