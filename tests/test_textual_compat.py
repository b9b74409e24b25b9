"""tui/ui/compat.py wraps every use of Textual's private API. This fails when one of them
drifts: the installed Textual is not the series it was checked against, a name is gone, a
signature changed, or a wrapper no longer does what it says. Upgrading Textual starts here."""

from __future__ import annotations

import inspect
from importlib.metadata import version

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input, Static

from tui.ui import compat


def test_textual_is_the_series_compat_was_checked_against():
    assert version("textual").rsplit(".", 1)[0] == compat.TEXTUAL_SERIES


def test_the_private_methods_compat_overrides_or_calls_keep_their_signatures():
    def params(function) -> list[str]:
        return list(inspect.signature(function).parameters)

    assert params(DataTable._render_cell) == ["self", "row_index", "column_index", "base_style", "width", "cursor",
                                               "hover"]
    assert params(DataTable._get_styles_to_render_cell) == [
        "self", "is_header_cell", "is_row_label_cell", "is_fixed_style_cell", "hover", "cursor", "show_cursor",
        "show_hover_cursor", "has_css_foreground_priority", "has_css_background_priority"]
    assert params(DataTable._update_dimensions) == ["self", "new_rows"]
    assert params(DataTable._clear_caches) == ["self"]
    assert params(DataTable._refresh_region) == ["self", "region"]
    assert params(App._unnotify)[:2] == ["self", "notification"]
    assert callable(App._on_notify)


class Probe(compat.NotificationHook, App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.toasts_seen = 0

    def compose(self) -> ComposeResult:
        yield Static("hello compat", id="hello")
        yield Input(id="field")
        table = compat.TableInternals(id="table")
        yield table

    def notifications_changed(self) -> None:
        self.toasts_seen += 1


async def test_each_wrapper_reads_what_it_says():
    app = Probe()
    async with app.run_test(size=(40, 12)) as pilot:
        assert not compat.shutting_down(app) and compat.failure(app) is None and not compat.exit_requested(app)
        assert any("hello compat" in line for line in compat.screen_lines(app.screen))
        assert app.query_one("#hello") in compat.visible_widgets(app.screen)
        assert app.query_one("#hello") in compat.placed_widgets(app.screen)
        assert compat.full_update(app) is not None

        app.notify("one")
        app.notify("two")
        await pilot.pause()
        shown = compat.shown_notifications(app)
        assert [n.message for n in shown] == ["one", "two"] and app.toasts_seen == 2
        compat.withdraw_notification(app, shown[0])
        assert [n.message for n in compat.shown_notifications(app)] == ["two"]

        key = events.Key("a", "a")
        assert not compat.propagation_stopped(key)
        key.stop()
        assert compat.propagation_stopped(key)
        field = app.query_one("#field")
        field.post_message(events.Blur())
        assert compat.has_pending_work(field)  # a message waits in its queue
        await pilot.pause()
        assert not compat.has_pending_work(field)
        # The flag is set and cleared between two idle moments, too briefly to catch here;
        # tests/test_ui_burst.py holds the behaviour (a Tab right after a field appears).
        assert isinstance(app.screen._layout_required, bool)
        app.query_one("#hello").display = False
        await pilot.pause()
        assert not compat.layout_pending(app.screen) and not compat.has_pending_work(app.screen)

        app.exit()
        assert compat.exit_requested(app) and compat.shutting_down(app)


async def test_the_table_internals_reach_datatable_s_own_state():
    app = Probe()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(compat.TableInternals)
        table.add_column("a", key="a")
        table.add_column("b", key="b")
        row = table.add_row("1", "2", key="r1")
        await pilot.pause()
        assert table.row_key_at(0) == row and table.column_key_at(1).value == "b"
        assert list(table.row_cells(row).values()) == ["1", "2"]
        assert [list(cells.values()) for cells in table.all_row_cells()] == [["1", "2"]]
        table.require_dimensions()
        assert table.dimensions_required
        before = table._update_count  # the counter DataTable keys its caches on (read here only)
        table.invalidate_renders()
        assert table._update_count == before + 1
        fixed, post = table.cell_styles(False, False, True)
        assert fixed is not None and post is not None
        drawn = table.default_draw_cell(0, 0, fixed, 5)
        assert "".join(segment.text for segment in drawn[0]).strip() == "1"
        assert len(table.render_state()) == 2
        table.drop_caches()


def test_thread_workers_still_run_on_the_loops_default_executor():
    """compat.daemon_worker_threads swaps the default executor: that only reaches thread
    workers while Textual runs them there."""
    import textual.worker

    assert "run_in_executor(None," in inspect.getsource(textual.worker.Worker._run_threaded)


def test_the_input_loop_compat_copies_is_still_textuals():
    """compat.run_input_thread is Textual's LinuxDriver.run_input_thread with one hook (what
    is read goes through the app's reader first): if Textual's changes, look again."""
    import hashlib

    from textual.drivers.linux_driver import LinuxDriver

    source = inspect.getsource(LinuxDriver.run_input_thread)
    assert hashlib.sha256(source.encode()).hexdigest() == \
        "d796af6d69db337d6fa6bd463984f7d17188d991dbb22f60efb92a8a9619507c"
    assert "XTermParser" in inspect.getsource(compat.run_input_thread)
