"""Every key the app binds, defined once: the bindings, the help screen, the footer (which
Textual draws from the bindings) and the command palette are all made from this table.

Each key has an id. A user keymap maps ids to other keys (`{"buy": "B", "quit": "ctrl+q"}`)
and is applied with Textual's keymap support (App.set_keymap), which rebinds every screen;
apply_keymap() checks it first and says what it refused. The file that holds a user's
keymap comes with the configuration file; the mechanism is here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from textual.app import App
from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    id: str
    keys: str  # Textual key names, comma-separated: "y", "escape", "question_mark"
    action: str
    label: str  # the footer's word, and the command palette's title
    help: str  # the help screen's line
    show: bool = True  # in the footer
    priority: bool = True  # acts from any focused widget (tui/ui/keys.py keeps the typed order)
    display: str = ""  # how to write the key when its name does not say it ("?")
    command: str = ""  # its title in the command palette (Ctrl+P), if it is one there


# Every screen.
APP = (
    Key("redraw", "ctrl+l", "app.redraw", "Redraw", "draw the whole screen again (if something else wrote on it)",
        show=False, display="Ctrl+L", command="Redraw the screen"),
)
# The main screen, anywhere on it.
MAIN = (
    Key("buy", "b", "app.buy", "Buy", "order ticket to buy the selected symbol", command="Buy"),
    Key("sell", "s", "app.sell", "Sell", "order ticket to sell the selected symbol", command="Sell"),
    # Bulk actions stay out of the footer (help and the palette list them): at 80 columns the
    # focused pane's own keys and ? Help, q Quit must fit.
    Key("close_all", "X", "app.close_all", "Close all", "close all positions (option: cancel open orders first)",
        show=False, command="Close all positions"),
    Key("cancel_all", "C", "app.cancel_all", "Cancel all", "cancel all open orders", show=False,
        command="Cancel all orders"),
    Key("lookup", "slash", "app.lookup", "Find", "find a symbol (or company name): its quote, chart, orders",
        display="/", command="Find a symbol"),
    Key("watchlist", "w", "app.watchlist", "Watchlist", "go to the watchlist (narrow screens: show it instead "
        "of positions and orders; w again goes back)", show=False, command="Watchlist"),
    Key("refresh", "r", "app.refresh", "Refresh", "refresh everything now", command="Refresh"),
    Key("export", "E", "app.export", "Export", "write what the focused pane shows to a CSV file (positions; "
        "orders in any view; fills), its path shown; on the History screen: its activities or realized P&L",
        show=False, command="Export the current view (CSV)"),
    Key("help", "question_mark", "app.help", "Help", "this help", display="?", command="Help"),
    Key("quit", "q", "app.quit", "Quit", "quit"),
    Key("rejections", "e", "app.rejections", "Rejections", "rejections seen this session", show=False,
        command="Rejections"),
    Key("connection", "i", "app.connection", "Connection", "connection: URLs, mode, stream", show=False,
        command="Connection"),
    Key("focus_account", "1", "app.focus_pane('account')", "Account", "go to Account", show=False, priority=False),
    Key("focus_positions", "2", "app.focus_pane('positions')", "Positions", "go to Positions", show=False,
        priority=False),
    Key("focus_orders", "3", "app.focus_pane('orders')", "Orders", "go to Orders", show=False, priority=False),
    Key("focus_clock", "4", "app.focus_pane('clock')", "Clock", "go to Clock", show=False, priority=False),
    Key("equity", "p", "app.equity", "Equity", "the account's equity chart (portfolio history)", show=False,
        command="Equity chart"),
    Key("history", "h", "app.history", "History", "account history: every activity, and realized P&L (FIFO)",
        show=False, command="Account history and realized P&L"),
)
POSITIONS = (
    Key("close_position", "x", "app.close_position", "Close", "close the selected position (all or part)",
        command="Close position"),
    Key("position_detail", "enter", "select_cursor", "Detail", "the selected symbol's quote, chart and orders",
        show=False, priority=False, display="Enter"),
)
WATCHLIST = (
    Key("watch_add", "a", "app.watch_add", "Add", "add a symbol to this watchlist", priority=False),
    Key("watch_remove", "d", "app.watch_remove", "Remove", "remove the selected symbol (asks first)",
        priority=False),
    Key("watch_next", "right_square_bracket", "app.watch_step(1)", "Next list", "next watchlist", show=False,
        priority=False, display="]"),
    Key("watch_previous", "left_square_bracket", "app.watch_step(-1)", "Previous list", "previous watchlist",
        show=False, priority=False, display="["),
    Key("watch_new", "n", "app.watch_new", "New list", "create a watchlist", show=False, priority=False,
        command="New watchlist"),
    Key("watch_sort", "o", "sort_next", "Sort", "sort by the next column (biggest first)", show=False,
        priority=False),
    Key("watch_reverse", "O", "sort_reverse", "Reverse", "reverse the sort", show=False, priority=False),
    Key("watch_detail", "enter", "select_cursor", "Detail", "the selected symbol's quote, chart and orders",
        show=False, priority=False, display="Enter"),
)
DETAIL = (
    Key("detail_back", "escape", "back", "Back", "back to the main screen", display="Esc"),
    Key("detail_1d", "1", "span('1D')", "1D", "chart: today (minutes)", show=False),
    Key("detail_5d", "2", "span('5D')", "5D", "chart: five days", show=False),
    Key("detail_1m", "3", "span('1M')", "1M", "chart: a month", show=False),
    Key("detail_6m", "4", "span('6M')", "6M", "chart: six months", show=False),
    Key("detail_1y", "5", "span('1Y')", "1Y", "chart: a year", show=False),
    Key("detail_style", "c", "toggle_style", "Candles/line", "chart: candles or a line"),
    Key("detail_buy", "b", "buy", "Buy", "order ticket to buy this symbol"),
    Key("detail_sell", "s", "sell", "Sell", "order ticket to sell this symbol"),
    Key("detail_watch", "a", "watch", "Watch", "add this symbol to the watchlist"),
)
LOOKUP = (
    Key("lookup_open", "enter", "open", "Open", "open the highlighted symbol", display="Enter"),
    Key("lookup_cancel", "escape", "cancel", "Cancel", "close the search", display="Esc"),
    Key("lookup_down", "down", "move(1)", "Down", "next match", show=False, display="↓"),
    Key("lookup_up", "up", "move(-1)", "Up", "previous match", show=False, display="↑"),
)
PROMPT = (
    Key("prompt_ok", "enter", "ok", "OK", "accept", display="Enter"),
    Key("prompt_cancel", "escape", "cancel", "Cancel", "go back, nothing done", display="Esc"),
)
ORDERS_TABLE = (
    Key("cancel_order", "c", "app.cancel_order", "Cancel", "cancel the selected order", command="Cancel order"),
    Key("modify_order", "m", "app.modify_order", "Modify", "modify the selected open order: qty, prices, time in "
        "force (a bracket leg: its price)", command="Modify order"),
    Key("order_detail", "enter", "select_cursor", "Detail", "the selected order (or a fill's order): its fields, "
        "legs, timeline, and a market order's slippage against the quote shown at send",
        show=False, priority=False, display="Enter"),
)
ORDER_DETAIL = (
    Key("order_back", "escape", "back", "Back", "back to the main screen", display="Esc"),
    Key("copy_order_id", "y", "copy_id", "Copy id", "copy the order id to the clipboard"),
    Key("copy_client_id", "Y", "copy_client_id", "Copy client id",
        "copy the client_order_id to the clipboard"),
    Key("order_cancel", "c", "cancel_order", "Cancel order", "cancel this order (asks first), if it is open"),
    Key("order_modify", "m", "modify_order", "Modify", "modify this order (the ticket, then a review), if it is open"),
)
ORDERS_PANE = (
    Key("toggle_fills", "f", "toggle_fills", "View", "orders pane: open orders, then closed, all, recent fills (with "
        "each market fill's slippage)",
        priority=False, command="Orders: next view (open, closed, all, fills)"),
    Key("orders_filter", "F", "app.orders_filter", "Filter", "order history: by symbols and dates "
        "(AAPL 2026-11-01..2026-11-30)", show=False, priority=False, command="Filter the order history"),
)
TABLES = (
    Key("row_down", "j", "cursor_down", "Down", "next row (also ↓)", show=False, priority=False),
    Key("row_up", "k", "cursor_up", "Up", "previous row (also ↑)", show=False, priority=False),
    Key("row_top", "g", "scroll_top", "Top", "first row", show=False, priority=False),
    Key("row_bottom", "G", "scroll_bottom", "Bottom", "last row", show=False, priority=False),
)
TICKET = (
    Key("ticket_cancel", "escape", "cancel", "Cancel", "leave the ticket, nothing sent", display="Esc"),
    Key("ticket_review", "enter", "submit", "Review", "validate and review the order", display="Enter"),
    Key("ticket_next", "tab", "app.focus_next", "Next field", "next field", show=False, display="Tab"),
    Key("ticket_previous", "shift+tab", "app.focus_previous", "Previous field", "previous field", show=False,
        display="Shift+Tab"),
)
REVIEW = (
    Key("review_send", "y", "send", "Send", "send the order shown"),
    Key("review_back", "n", "back", "Back", "back to the ticket"),
    Key("review_escape", "escape", "back", "Back", "back to the ticket", display="Esc"),
)
CONFIRM = (
    Key("confirm_yes", "y", "confirm_key", "Yes", "confirm"),
    Key("confirm_no", "n", "cancel_key", "No", "go back, nothing done"),
    Key("confirm_escape", "escape", "cancel", "Cancel", "go back, nothing done", display="Esc"),
)
HISTORY = (
    Key("history_back", "escape", "back", "Back", "back to the main screen", display="Esc"),
    Key("history_filter", "F", "filter", "Filter", "activities: by types, symbols and dates "
        "(DIV FEE AAPL 2026-11-01..2026-11-30); realized P&L: the dates"),
    Key("history_pnl", "p", "toggle_pnl", "Realized P&L", "activities, or realized P&L (FIFO lots, per close)"),
    Key("history_reload", "r", "reload", "Reload", "read the activities (or the fills) again"),
    Key("history_export", "E", "app.export", "Export", "write the activities read so far (as filtered), or the "
        "realized P&L's closes in the range, to a CSV file, its path shown"),
)
CLOSE_ALL = (
    Key("close_all_orders", "o", "toggle_orders", "Also cancel orders", "close all: also cancel open orders first"),
)
EQUITY = (
    Key("account_equity", "enter", "app.equity", "Equity", "Account pane: the equity chart", show=False,
        priority=False, display="Enter"),
    Key("equity_back", "escape", "back", "Back", "back to the main screen", display="Esc"),
    Key("equity_1d", "1", "period('1D')", "1D", "equity: today (5-minute points)", show=False),
    Key("equity_1w", "2", "period('1W')", "1W", "equity: a week (hourly points)", show=False),
    Key("equity_1m", "3", "period('1M')", "1M", "equity: a month (daily points)", show=False),
    Key("equity_3m", "4", "period('3M')", "3M", "equity: three months (daily points)", show=False),
    Key("equity_1a", "5", "period('1A')", "1A", "equity: a year (daily points)", show=False),
)
SECTIONS = (
    ("Anywhere", APP), ("Main screen", MAIN), ("Positions", POSITIONS), ("Watchlist", WATCHLIST),
    ("Orders", ORDERS_TABLE + ORDERS_PANE), ("Tables", TABLES), ("Symbol detail", DETAIL),
    ("Order detail", ORDER_DETAIL), ("History", HISTORY), ("Equity chart", EQUITY), ("Find a symbol", LOOKUP),
    ("Order ticket", TICKET), ("Review", REVIEW), ("Confirmations", CONFIRM + CLOSE_ALL), ("Prompts", PROMPT),
)
# Textual's own keys (no id of ours), listed in the help for completeness.
BUILT_IN = (
    ("Tab / Shift+Tab", "next / previous pane"),
    ("↑ ↓ PgUp PgDn", "move in a table"),
    ("← →", "in the ticket: change a choice"),
    ("Ctrl+P", "command palette: every action, themes"),
)
ALL = {key.id: key for _, keys in SECTIONS for key in keys}

KEY_NAME = re.compile(r"^[A-Za-z0-9_+\-]+$")
NAMES = {"question_mark": "?", "escape": "Esc", "enter": "Enter", "tab": "Tab", "space": "Space",
         "shift+tab": "Shift+Tab", "slash": "/", "full_stop": ".", "left_square_bracket": "[",
         "right_square_bracket": "]", "down": "↓", "up": "↑", "ctrl+l": "Ctrl+L"}


SYMBOL_KEYS = ("question_mark", "slash", "left_square_bracket", "right_square_bracket")


def bindings(keys: Iterable[Key]) -> list[Binding]:
    """Textual bindings for a widget's or screen's BINDINGS."""
    # The footer writes keys Textual's way (esc, enter) except where the name is no key ("?").
    return [Binding(k.keys, k.action, k.label, show=k.show, priority=k.priority, id=k.id,
                    key_display=k.display if k.keys in SYMBOL_KEYS else None) for k in keys]


def check(overrides: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """(the usable part of a user keymap, what was refused and why)."""
    usable: dict[str, str] = {}
    problems = []
    for key_id, keys in overrides.items():
        names = [name.strip() for name in str(keys).split(",")]
        if key_id not in ALL:
            problems.append(f"{key_id}: no such key id (see the help screen for the ids)")
        elif not names or not all(KEY_NAME.match(name) for name in names):
            problems.append(f"{key_id}: {keys!r} is not a key name (e.g. b, ctrl+q, f5, question_mark)")
        else:
            usable[key_id] = ",".join(names)
    taken: dict[tuple[str, str], str] = {}  # (section, key) -> id: two actions on one key in one place
    for section, keys in SECTIONS:
        for key in keys:
            for name in usable.get(key.id, key.keys).split(","):
                other = taken.setdefault((section, name), key.id)
                culprit = key.id if key.id in usable else other if other in usable else None
                if other != key.id and culprit is not None:
                    problems.append(f"{culprit}: {name!r} is also {other if culprit == key.id else key.id}'s key")
                    usable.pop(culprit)
    return usable, problems


def apply_keymap(app: App, overrides: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Rebind keys by id; returns (what was applied, what was refused). Nothing refused is
    applied halfway."""
    usable, problems = check(overrides)
    app.set_keymap(usable)
    return usable, problems


def written(keys: str, display: str = "") -> str:
    return display or " / ".join(NAMES.get(name, name) for name in keys.split(","))


def help_rows(overrides: Mapping[str, str] = {}) -> list[tuple[str, str, str, str]]:
    """(section, keys as the user types them now, what they do, id) for the help screen."""
    rows = []
    for section, keys in SECTIONS:
        for key in keys:
            current = overrides.get(key.id)
            rows.append((section, written(current) if current else written(key.keys, key.display), key.help, key.id))
    rows.extend(("Built in", keys, what, "") for keys, what in BUILT_IN)
    return rows
