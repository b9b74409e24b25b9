"""RowDiffer: the worker-side diff of table rows that the Positions pane applies."""

from tui.ui.widgets.table import RowDiffer

COLUMNS = [("symbol", "Symbol", False), ("price", "Price", True)]


def rows(*pairs):
    return [(symbol, ((symbol, ""), (price, ""))) for symbol, price in pairs]


def test_first_rows_and_moved_rows_come_without_changes_so_the_table_syncs_them_whole():
    differ = RowDiffer(COLUMNS)
    first = differ.diff(rows(("AAPL", "1.00"), ("MSFT", "2.00")))
    assert first.changes is None and (first.base, first.generation) == (0, 1)
    moved = differ.diff(rows(("MSFT", "2.00"), ("AAPL", "1.00")))
    assert moved.changes is None and moved.base == first.generation


def test_only_changed_cells_are_sent_with_their_column_and_alignment():
    differ = RowDiffer(COLUMNS)
    differ.diff(rows(("AAPL", "1.00"), ("MSFT", "2.00")))
    update = differ.diff(rows(("AAPL", "1.05"), ("MSFT", "2.00")))
    assert list(update.changes) == ["AAPL"]
    [(column, cell)] = update.changes["AAPL"]
    assert column == 1 and cell.text == "1.05" and cell.justify == "right"
    assert update.wanted["MSFT"] == (("MSFT", ""), ("2.00", ""))
