"""A DataTable that is refreshed by diff, keeps its cursor on the same row, and knows vim keys."""

from __future__ import annotations

from typing import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey
from ..format import DOWN, UP, WARN

Cell = tuple[str, str]  # (text, tone: "" | "up" | "down" | "flat" | "dim" | "warn")
Row = tuple[str, Sequence[Cell]]  # (row key, cells)

TONE_STYLES = {"up": UP, "down": DOWN, "dim": "dim", "warn": f"bold {WARN}", "total": "bold"}


class CellText:
    """A cell's text, made into a rich Text only when drawn: a refresh of 1,000 positions
    changes thousands of cells, of which a few dozen are on screen."""

    __slots__ = ("text", "style", "justify")

    def __init__(self, text: str, style: str, justify: str) -> None:
        self.text, self.style, self.justify = text, style, justify

    def __rich__(self) -> Text:
        return Text(self.text, style=self.style, justify=self.justify, no_wrap=True)  # type: ignore[arg-type]


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

    def on_mount(self) -> None:
        self._ensure_columns()

    def _ensure_columns(self) -> None:
        # Data can arrive before on_mount has run: whoever comes first adds the columns.
        if not self.columns:
            for key, label, right in self._columns:
                self.add_column(Text(label, justify="right" if right else "left"), key=key)

    def _cell_text(self, cell: Cell, right: bool) -> CellText:
        text, tone = cell
        return CellText(text, TONE_STYLES.get(tone, ""), "right" if right else "left")

    @property
    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # cursor outside the rows while they change
            return None

    def _set_cells(self, changes: dict[str, list[tuple[int, CellText]]]) -> None:
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
        top = self.scroll_offset.y - self.header_height
        bottom = top + self.size.height
        for key, cells in changes.items():
            row = self.get_row_index(self._row_keys[key])
            if top <= row <= bottom:
                for column, _ in cells:
                    self.refresh_coordinate(Coordinate(row, column))

    def sync(self, rows: Sequence[Row]) -> bool:
        """Make the table show `rows`, touching only what changed. True if anything did."""
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
        changes: dict[str, list[tuple[int, CellText]]] = {}
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
                    self._row_keys[key] = self.add_row(*(self._cell_text(c, r) for c, r in zip(cells, rights)), key=key)
                elif old != cells:
                    changes[key] = [(index, self._cell_text(cell, rights[index]))
                                    for index, (cell, before) in enumerate(zip(cells, old)) if cell != before]
                self._cells[key] = cells
            self._set_cells(changes)
            if selected is not None and selected in self._cells:
                self.move_cursor(row=self.get_row_index(selected), animate=False)
        return True
