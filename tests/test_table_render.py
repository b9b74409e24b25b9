"""LiveTable draws its cells without Rich's render pipeline: it must draw what DataTable
itself would, segment for segment and style for style (mouse meta included)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tui.ui import compat
from tui.ui.widgets.table import LiveTable

COLUMNS = [("symbol", "Symbol", False), ("side", "Side", False), ("price", "Price", True), ("pl", "P&L", True)]
ROWS = [
    ("AAPL", (("AAPL", ""), ("long", ""), ("268.19", ""), ("+1,378.50", "up"))),
    ("TSLA", (("TSLA", ""), ("short", "down"), ("432.78", "flat"), ("-868.65", "down"))),
    ("NVDA", (("NVDA", ""), ("long", "dim"), ("179.30", "warn"), ("+2,122.00", "total"))),
    # wider than its column once the column is narrowed: cut, as DataTable cuts
    ("WIDE", (("A-VERY-LONG-SYMBOL", ""), ("long", ""), ("1,234,567.89", "up"), ("0.00", ""))),
]


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LiveTable(COLUMNS, id="t")
        yield DataTable(id="other")  # somewhere for the focus to go


async def test_cells_are_drawn_exactly_as_datatable_draws_them():
    app = TableApp()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(LiveTable)
        table.sync(ROWS)
        table.focus()
        await pilot.pause()
        drawn = []  # (arguments, what LiveTable drew, what DataTable draws), taken together
        original = table._draw_cell_text

        def recording(cell, row, column, base_style, width, cursor, hover):
            lines = original(cell, row, column, base_style, width, cursor, hover)
            expected = table.default_draw_cell(row, column, base_style, width, cursor, hover)
            drawn.append(((cell, row, column, cursor), lines, expected))
            return lines

        table._draw_cell_text = recording
        symbol = table.columns[table.ordered_columns[0].key]
        symbol.auto_width, symbol.width = False, 6  # cut the long symbol
        for focus in (table, app.query_one("#other")):  # the cursor's colours differ without focus
            focus.focus()
            table.move_cursor(row=1)
            table.drop_caches()
            table.refresh()
            await pilot.pause()
            compat.full_update(app)  # draw every cell now
        assert len(drawn) >= 2 * len(ROWS) * len(COLUMNS)
        assert any(args[3] for args, _, _ in drawn), "the cursor row was drawn"
        assert any(seg.text.startswith("A-VE") for _, lines, _ in drawn for seg in lines[0]), "the cut cell"
        for args, lines, expected in drawn:
            assert [[(s.text, s.style) for s in line] for line in lines] == \
                   [[(s.text, s.style) for s in line] for line in expected], args[1:]
