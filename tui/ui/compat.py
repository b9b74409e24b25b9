"""Every use of Textual's private API, in one place.

Textual has no public way to do a few things this app needs: know that a key's travel is
over, remove a toast, draw one table cell without Rich's pipeline, redraw a few table
lines, or see what the terminal sent before Textual's key parser does. Each is wrapped here, under a public name, with the reason; nothing else in the
project reads or writes a Textual attribute that starts with `_`.

pyproject.toml pins Textual to the minor version these were written against, and
tests/test_textual_compat.py fails when one of them drifts (a name gone, a signature
changed, output that no longer matches DataTable's own). When upgrading Textual, that
test is the list of things to check.
"""

from __future__ import annotations

from typing import Any, Iterable

from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.geometry import Region
from textual.message import Message
from textual.message_pump import MessagePump
from textual.notifications import Notification
from textual.screen import Screen
from textual.widgets import DataTable
from textual.widgets.data_table import CellType, ColumnKey, RowKey

TEXTUAL_SERIES = "8.2"  # the minor version this module was checked against (see pyproject.toml)


# ---- the app's life -----------------------------------------------------------------------


def shutting_down(app: App) -> bool:
    """The app is quitting: exit() was called, or shutdown has begun (is_running is False
    from then on). Messages arriving now find widgets half gone."""
    return bool(app._exit or app._closing or not app.is_running)


# ---- keys (see keys.py) -------------------------------------------------------------------


def propagation_stopped(message: Message) -> bool:
    """A handler called stop() on the message: its travel is over. Message has no public
    reader for it."""
    return bool(message._stop_propagation)


def has_pending_work(node: MessagePump) -> bool:
    """Messages waiting for `node`, or callbacks it will run after the current one
    (call_next): either can still change what the next key meets."""
    return bool(node.message_queue_size or node._next_callbacks)


def layout_pending(screen: Screen) -> bool:
    """The screen will lay itself out again before it next paints (a widget was shown,
    hidden or mounted): focus order follows places, so a Tab now could skip a field."""
    return bool(screen._layout_required)


# ---- notifications (see toasts.py) --------------------------------------------------------


def shown_notifications(app: App) -> list[Notification]:
    """The toasts standing now, oldest first."""
    return list(app._notifications)


def withdraw_notification(app: App, notification: Notification) -> None:
    """Remove one toast now (Textual only removes them when they time out or are clicked)."""
    app._unnotify(notification)


class NotificationHook(App):
    """Calls notifications_changed() each time a toast joins the shown ones. notify() only
    posts a message, so a burst of them can only be counted where they land."""

    def _on_notify(self, event: Any) -> None:
        super()._on_notify(event)
        self.notifications_changed()

    def notifications_changed(self) -> None:
        """Override to react to a new toast."""


# ---- what a screen shows (tests and benchmarks read the screen through these) --------------


def screen_lines(screen: Screen) -> list[str]:
    """Each line of the screen as it would be painted, as plain text."""
    return [strip.text for strip in screen._compositor.render_strips()]


def full_update(app: App) -> Any:
    """The whole-screen update Textual would write to the terminal now (segments with styles)."""
    return app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)


# ---- DataTable: cached cells, partial redraws -----------------------------------------------


class TableInternals(DataTable):
    """DataTable with public names for the internals LiveTable needs, and three hooks:

    - draw_cell(): DataTable keys its cell cache on a counter that any change bumps, so a
      price tick in one row re-renders every cell on screen. Subclasses may draw (and cache)
      a cell themselves; default_draw_cell() is DataTable's own drawing.
    - dimensions_measured(): DataTable measures new rows' cells when idle; after it has,
      widths may have grown.
    - caches_cleared(): DataTable dropped its render caches (a style or size change).
    """

    # DataTable's cell store and render-cache counter, as update_cell uses them.
    def row_cells(self, row_key: RowKey) -> dict[ColumnKey, CellType]:
        return self._data[row_key]

    def all_row_cells(self) -> Iterable[dict[ColumnKey, CellType]]:
        return self._data.values()

    def invalidate_renders(self) -> None:
        """Every cached line is stale (DataTable's caches are keyed on this counter)."""
        self._update_count += 1

    @property
    def dimensions_required(self) -> bool:
        """Rows came or went since the virtual size was last measured."""
        return bool(self._require_update_dimensions)

    def require_dimensions(self) -> None:
        self._require_update_dimensions = True

    def row_key_at(self, row_index: int) -> RowKey:
        return self._row_locations.get_key(row_index)

    def column_key_at(self, column_index: int) -> ColumnKey:
        return self._column_locations.get_key(column_index)

    def render_state(self) -> tuple[Any, ...]:
        """What else a cell's look depends on: hover cursor shown, focus and other pseudo-classes."""
        return self._show_hover_cursor, self._pseudo_class_state

    def cell_styles(self, fixed: bool, hover: bool, cursor: bool) -> tuple[Style, Style]:
        """(component style, post style) for a body cell, as DataTable computes them."""
        return self._get_styles_to_render_cell(
            False, False, fixed, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")

    def refresh_table_region(self, region: Region) -> None:
        """Redraw a region given in table coordinates (scrolling accounted for), if visible."""
        self._refresh_region(region)

    # ---- hooks ----

    def draw_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                  cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        return self.default_draw_cell(row_index, column_index, base_style, width, cursor, hover)

    def default_draw_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                          cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        return self.draw_cell(row_index, column_index, base_style, width, cursor, hover)

    def measure_new_rows(self, new_rows: Iterable[RowKey]) -> None:
        """DataTable's measuring of rows added since the last time (widths may grow)."""
        super()._update_dimensions(new_rows)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        self.measure_new_rows(new_rows)
        self.dimensions_measured()

    def dimensions_measured(self) -> None:
        """Override: called after DataTable measured new rows."""

    def drop_caches(self) -> None:
        """Forget every rendered line (DataTable's caches and the hook's)."""
        self._clear_caches()

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self.caches_cleared()

    def caches_cleared(self) -> None:
        """Override: called after DataTable dropped its render caches."""


def visible_widgets(screen: Screen) -> dict[Any, tuple]:
    """The widgets on screen now, each with (region, …) as the compositor placed it."""
    return screen._compositor.visible_widgets


def placed_widgets(screen: Screen) -> Any:
    """Every widget the compositor has placed (visible or not)."""
    return screen._compositor.widgets


def toast_notification(toast: Any) -> Notification:
    """The notification a Toast widget shows."""
    return toast._notification


def failure(app: App) -> BaseException | None:
    """The exception that stopped the app, if one did."""
    return app._exception


def exit_requested(app: App) -> bool:
    return bool(app._exit)


def feed_terminal(app: App, event: Message) -> None:
    """Hand an event to the app as its driver does with what the terminal sent (keys read in
    one burst arrive like this, back to back)."""
    app._driver.send_message(event)


def make_active(app: App) -> None:
    """Make `app` the active app of this context (Textual's widgets look it up there): for
    code that runs an app's widgets outside the app's own task, as tests do."""
    from textual._context import active_app

    active_app.set(app)


def daemon_worker_threads(executor: Any) -> None:
    """Run thread workers on `executor`: Textual starts them with the event loop's default
    executor (run_in_executor(None, …)), not through an API of its own, so that is where
    daemon threads go in, and quitting never waits on a request that hangs."""
    import asyncio

    asyncio.get_running_loop().set_default_executor(executor)


# ---- reading keys (see terminal_driver.py) ------------------------------------------------


def run_input_thread(driver: Any, reader: Any) -> None:
    """Textual 8.2's LinuxDriver.run_input_thread, with what is read passed through
    `reader.feed` (str -> str) before Textual's key parser sees it, and `reader.idle()` fed
    when a wait for input ends with nothing read. Textual parses an escape and the
    character that follows it within 0.1 s as one key (`alt+q`, `£` for ESC 3, `ctrl+left`
    for ESC b); the driver has no hook between reading and parsing."""
    import os
    import selectors
    from codecs import getincrementaldecoder

    from textual._loop import loop_last
    from textual._parser import ParseError
    from textual._xterm_parser import XTermParser

    selector = selectors.SelectSelector()
    selector.register(driver.fileno, selectors.EVENT_READ)
    fileno = driver.fileno
    EVENT_READ = selectors.EVENT_READ
    parser = XTermParser(driver._debug)
    feed = parser.feed
    tick = parser.tick
    decode = getincrementaldecoder("utf-8")().decode
    read = os.read

    def process_selector_events(selector_events: list, final: bool = False) -> None:
        for last, (_selector_key, mask) in loop_last(selector_events):
            if mask & EVENT_READ:
                unicode_data = decode(read(fileno, 1024 * 4), final=final and last)
                if not unicode_data:
                    break
                keys = reader.feed(unicode_data)
                for event in feed(keys) if keys else ():  # feed("") is Textual's end of input
                    driver.process_message(event)
        if not selector_events:  # the wait ended with nothing read
            keys = reader.idle()
            for event in feed(keys) if keys else ():
                driver.process_message(event)
        for event in tick():
            driver.process_message(event)

    try:
        while not driver.exit_event.is_set():
            process_selector_events(selector.select(0.1))
        selector.unregister(driver.fileno)
        process_selector_events(selector.select(0.1), final=True)
    finally:
        selector.close()
        try:
            for event in feed(""):
                pass
        except (EOFError, ParseError):
            pass
