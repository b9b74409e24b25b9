"""A DataTable that is refreshed by diff, keeps its cursor on the same row, and knows vim keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey
from ..format import DOWN, UP, WARN

Cell = tuple[str, str]  # (text, tone: "" | "up" | "down" | "flat" | "dim" | "warn")
Row = tuple[str, Sequence[Cell]]  # (row key, cells)

TONE_STYLES = {"up": UP, "down": DOWN, "dim": "dim", "warn": f"bold {WARN}", "total": "bold"}


class CellText:
    """A cell's text, drawn as one segment cut or padded to the column: a refresh of 1,000
    positions changes thousands of cells, and DataTable redraws every cell on screen after
    any change, so each one has to be cheap (a rich Text goes through wrapping and
    justifying: about twice the cost)."""

    __slots__ = ("text", "style", "justify")

    def __init__(self, text: str, style: str, justify: str) -> None:
        self.text, self.style, self.justify = text, style, justify

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
        length = cell_len(self.text)
        return Measurement(length, length)

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


class LiveTable(DataTable):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
    ]

    def __init__(self, columns: Sequence[tuple[str, str, bool]], **kwargs) -> None:
        """columns: (key, label, right-aligned)."""
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._columns = list(columns)
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self._row_keys: dict[str, RowKey] = {}
        self._generation: int | None = None  # the TableUpdate shown, if the last change came as one
        # Rendered cells by the cell object itself (a changed cell is a new CellText): see _render_cell.
        self._cell_renders: LRUCache[tuple, list[list[Segment]]] = LRUCache(4096)

    def on_mount(self) -> None:
        self._ensure_columns()

    def _ensure_columns(self) -> None:
        # Data can arrive before on_mount has run: whoever comes first adds the columns.
        if not self.columns:
            for key, label, right in self._columns:
                self.add_column(Text(label, justify="right" if right else "left"), key=key)

    @property
    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # cursor outside the rows while they change
            return None

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        """DataTable keys its cell cache on a counter that any change bumps, so a price tick
        in one row re-renders every cell on screen; most of them did not change. Here a
        render is reused while the cell object and everything else it depends on are the
        same."""
        if row_index < 0 or column_index < 0:  # header, row labels
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        cell = self._data[row_key].get(self._column_locations.get_key(column_index))
        height = self.rows[row_key].height
        key = (cell, row_index, column_index, base_style, width, cursor, hover, self._show_hover_cursor,
               self._pseudo_class_state, height)
        lines = self._cell_renders.get(key)
        if lines is None:
            if isinstance(cell, CellText) and width > 2 * self.cell_padding and height == 1:
                lines = self._draw_cell_text(cell, row_index, column_index, base_style, width, cursor, hover)
            else:
                lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            self._cell_renders.set(key, lines)
        return lines

    def _draw_cell_text(self, cell: CellText, row_index: int, column_index: int, base_style: Style, width: int,
                        cursor: bool, hover: bool) -> list[list[Segment]]:
        """What DataTable._render_cell draws for a one-line CellText, without Rich's render
        pipeline (Styled, Padding, line splitting: most of a cell's cost, for one segment).
        Same styles, in the same order: the row's base style with the cell's place as
        meta (for mouse clicks), the component style, the cell's own style, then the
        post style. tests/test_table_render.py holds it to DataTable's own output."""
        fixed = row_index < self.fixed_rows or column_index < self.fixed_columns
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, fixed, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        text_style = pre_style + self.app.console.get_style(cell.style) if cell.style else pre_style
        pad = self.cell_padding
        text = Segment(cell.fit(width - 2 * pad), text_style + post_style)
        if not pad:
            return [[text]]
        edge = Segment(" " * pad, pre_style + post_style)
        return [[edge, text, edge]]

    def _clear_caches(self) -> None:
        super()._clear_caches()
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
        columns = [column.key for column in self.ordered_columns]
        for key, cells in changes.items():
            row = self._data[self._row_keys[key]]
            for column, value in cells:
                row[columns[column]] = value
        self._update_count += 1
        # Only rows on screen need drawing now, one region per run of changed rows (the
        # terminal gets whole lines of a widget anyway). Rows here are one line high.
        top = max(0, self.scroll_offset.y - self.header_height)
        bottom = min(self.row_count, top + self.size.height + 1)
        width = max(self.size.width, self.virtual_size.width)
        run_start = None
        for row in range(top, bottom + 1):
            changed = row < bottom and self.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value in changes
            if changed and run_start is None:
                run_start = row
            elif not changed and run_start is not None:
                self._refresh_region(Region(0, self.header_height + run_start, width, row - run_start))
                run_start = None

    def _redraw(self) -> None:
        self._update_count += 1
        self.refresh()

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
            if self._require_update_dimensions:
                # DataTable measures new rows' column widths when idle, after rows may
                # already be drawn (and cached) at the old widths: draw them all again then.
                self.call_after_refresh(self._redraw)
            if selected is not None and selected in self._cells:
                self.move_cursor(row=self.get_row_index(selected), animate=False)
        return True
