"""The account's history (`h`): every activity Alpaca returns from /v2/account/activities —
fills, dividends, interest, fees, transfers, journals, splits, option events… — newest
first, read a page (Alpaca's 100) at a time as the cursor nears the end, filtered by
type, symbol and date with `F`. `p` shows the realized P&L instead: FIFO lots over the
account's fills since a start date (30 days back unless chosen), one row per closing fill,
with totals for today, this week and the range.

`E` (the app's export) writes what the view shows: the activities read so far under the
filter, or the realized P&L's closes in the range (export_view() says which; the app
writes the file on a worker thread).

The screen shows what its desk gives it (tui/ui/history_desk.py); the reads run on the
app's worker threads and come back as messages (ActivitiesRead, FillsRead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Mapping, Protocol, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from ...broker.activities import ACTIVITY_TYPES, TradeActivity
from ...broker.activity import FILL_SIDES, FillRow
from ...state.realized import Close, Lot, Realized, Totals, lots_before, realize, week_start
from ...terms import NEW_YORK
from ...text import clean, is_symbol
from .. import keymap
from ..format import DASH, money, price, quantity, signed_money, tone
from ..date_filter import DateWord, NewYorkDays, parse_dates
from ..order_history import MORE_WITHIN
from ..widgets.statusbar import bottom_bar
from ..widgets.table import LiveTable, Row, TONE_STYLES, hidden_note

MAX_FILTER_WORDS = 20
DEFAULT_DAYS = 30  # the realized view reads fills this many days back unless told otherwise

# Alpaca's activity types in words (docs: account activities). A type not here shows its code.
KINDS = {
    "FILL": "fill", "DIV": "dividend", "DIVCGL": "dividend (LT cap gain)", "DIVCGS": "dividend (ST cap gain)",
    "DIVFEE": "dividend fee", "DIVFT": "dividend foreign tax", "DIVNRA": "dividend NRA withholding",
    "DIVROC": "dividend return of capital", "DIVTW": "dividend TEFRA withholding",
    "DIVTXEX": "dividend tax-exempt", "FEE": "fee", "CFEE": "crypto fee", "INT": "interest",
    "INTNRA": "interest NRA withholding", "INTTW": "interest TEFRA withholding", "JNL": "journal",
    "JNLC": "cash journal", "JNLS": "stock journal", "CSD": "deposit", "CSW": "withdrawal",
    "ACATC": "ACATS cash", "ACATS": "ACATS securities", "CIL": "cash in lieu", "MA": "merger/acquisition",
    "NC": "name change", "OPASN": "option assignment", "OPCA": "option corporate action",
    "OPCSH": "option cash", "OPEXC": "option exercise", "OPEXP": "option expiry", "OPTRD": "option trade",
    "PTC": "pass-thru charge", "PTR": "pass-thru rebate", "REORG": "reorganization", "SC": "symbol change",
    "SPIN": "spin-off", "SPLIT": "split", "SSO": "stock spin-off", "SSP": "stock split",
    "TRANS": "transfer", "VOF": "voluntary offering", "WH": "withholding",
}
ACTIVITY_COLUMNS = (("when", "When (NY)", False), ("kind", "Type", False), ("code", "Code", False),
                    ("symbol", "Symbol", False), ("side", "Side", False), ("qty", "Qty", True),
                    ("price", "Price", True), ("amount", "Amount", True), ("about", "Description", False))
ACTIVITY_DROP = ("code", "about", "side", "price")
CLOSE_COLUMNS = (("when", "Closed (NY)", False), ("symbol", "Symbol", False), ("side", "Side", False),
                 ("qty", "Qty closed", True), ("open", "Avg open", True), ("close", "Close", True),
                 ("pnl", "Realized", True), ("same", "Same day", False))
CLOSE_DROP = ("side", "same", "open")


# ---- the filters -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ActivityFilter(NewYorkDays):
    types: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()
    start: date | None = None  # New York dates, inclusive
    end: date | None = None

    def words(self) -> str:
        """The filter as the title says it: `DIV FEE · AAPL · 2026-11-01..2026-11-30`."""
        return " · ".join(bit for bit in (" ".join(self.types), " ".join(self.symbols), self.dates()) if bit)

    def keeps(self, activity: Any) -> bool:
        """The symbol part (Alpaca filters by type and date; not by symbol)."""
        return not self.symbols or getattr(activity, "symbol", None) in self.symbols


def parse_activity_filter(text: str) -> ActivityFilter | str:
    """`DIV FEE AAPL 2026-11-01..2026-11-30`: activity types (their codes), symbols, and one
    date or range; a symbol that is also a type code is written with a `$` ($MA). Empty:
    no filter. A message saying what is wrong otherwise."""
    types: list[str] = []
    symbols: list[str] = []
    dates = DateWord()
    words = text.split()
    if len(words) > MAX_FILTER_WORDS:
        return f"{MAX_FILTER_WORDS} words at most"
    for word in words:
        upper = word.upper()
        taken = dates.take(word)
        if isinstance(taken, str):
            return taken
        if taken:
            continue
        if upper in ACTIVITY_TYPES:
            if upper not in types:
                types.append(upper)
        elif is_symbol(upper.removeprefix("$")):
            symbol = upper.removeprefix("$")
            if symbol not in symbols:
                symbols.append(symbol)
        else:
            return (f"{clean(word, one_line=True, limit=30)!r} is neither an activity type (FILL DIV INT FEE JNLC "
                    "CSD…), a symbol nor a date (YYYY-MM-DD, or a range like 2026-11-01..2026-11-30)")
    return ActivityFilter(tuple(types), tuple(symbols), dates.start, dates.end)


def parse_range(text: str, today: date) -> tuple[date, date] | str:
    """The realized view's range: `2026-11-01..2026-11-30`, `2026-11-01..` (to today), or one
    day; empty: the last DEFAULT_DAYS days."""
    text = text.strip()
    if not text:
        return today - timedelta(days=DEFAULT_DAYS), today
    dates = parse_dates(text)
    if dates is None:
        return f"{clean(text, one_line=True, limit=30)!r} is not a date or a range (2026-11-01..2026-11-30)"
    if isinstance(dates, str):
        return dates
    start, end = dates
    if start is None:
        return "say where the range starts (fills are read from there): 2026-11-01..2026-11-30"
    end = end or today
    if start > today:
        return "the range starts after today"
    return start, min(end, today)


# ---- rows ------------------------------------------------------------------------------------

def kind_word(code: str) -> str:
    return KINDS.get(code, code.lower() or "unknown")


def _ny(at: datetime | None) -> str:
    return at.astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M:%S") if at is not None else DASH


def _symbol(value: Any) -> str:
    return clean(value, one_line=True, limit=24) if value else ""


def activity_cells(activity: Any) -> list[tuple[str, str]]:
    """A row of the activities table (plain text, each with its tone)."""
    if isinstance(activity, TradeActivity):
        side = (activity.side or "").replace("_", " ")
        value = None
        if activity.qty is not None and activity.price is not None and activity.side in FILL_SIDES:
            value = activity.qty * activity.price * (-1 if activity.side == "buy" else 1)
        about = (activity.type or "fill").replace("_", " ")
        if activity.order_status:
            about += f" · order {activity.order_status.replace('_', ' ')}"
        return [(_ny(activity.transaction_time), ""), ("fill", ""), ("FILL", "dim"), (_symbol(activity.symbol), ""),
                (side, "up" if side == "buy" else "down" if side else ""),
                (quantity(activity.qty) if activity.qty is not None else DASH, ""),
                (price(activity.price) if activity.price is not None else DASH, ""),
                (signed_money(value) if value is not None else DASH, tone(value)), (about, "dim")]
    code = activity.activity_type
    amount = activity.net_amount
    about = activity.description
    if activity.per_share_amount is not None and not about:
        about = f"{money(activity.per_share_amount)} a share"
    if activity.status and activity.status not in ("executed",):
        about = f"{about} ({activity.status})" if about else activity.status
    return [(activity.date.isoformat() if activity.date else DASH, ""), (kind_word(code), ""),
            (clean(code, one_line=True, limit=10), "dim"), (_symbol(activity.symbol), ""), ("", ""),
            (quantity(activity.qty) if activity.qty is not None else "", ""), ("", ""),
            (signed_money(amount) if amount is not None else DASH, tone(amount)), (about, "dim")]


def activity_rows(activities: Sequence[Any]) -> list[Row]:
    rows: list[Row] = []
    seen: set[str] = set()
    for n, activity in enumerate(activities):
        key = activity.id if activity.id and activity.id not in seen else f"#{n}"
        seen.add(key)
        rows.append((key, activity_cells(activity)))
    return rows


def close_cells(close: Close) -> list[tuple[str, str]]:
    opened = close.open_price
    if close.unmatched and not close.lots:
        open_text = "unmatched"
    elif close.unmatched:
        open_text = f"{price(opened)} +{quantity(close.unmatched)} unm."
    else:
        open_text = price(opened) if opened is not None else DASH
    pnl = close.realized if close.lots else None
    same = "same day" if close.same_day else "part same day" if close.same_day_qty else ""
    side = close.side.replace("_", " ") + (" (cover)" if close.short else "")
    return [(_ny(close.at), ""), (_symbol(close.symbol), ""), (side, ""), (quantity(close.qty), ""),
            (open_text, "warn" if close.unmatched else ""), (price(close.close_price), ""),
            (signed_money(pnl) if pnl is not None else DASH, tone(pnl)), (same, "")]


def close_rows(closes: Sequence[Close]) -> list[Row]:
    return [(f"{close.fill_id or '#'}:{n}", close_cells(close)) for n, close in enumerate(closes)]


def _total(label: str, totals: Totals) -> Text:
    out = Text()
    out.append(f"{label:<10}", style="dim")
    out.append(f"{signed_money(totals.realized):>14}", style=TONE_STYLES.get(tone(totals.realized), ""))
    out.append(f"  {totals.closes} close{'s' if totals.closes != 1 else ''}"
               f"{' + unmatched' if not totals.complete else ''}", style="dim")
    return out


def read_from(start: date, today: date) -> date:
    """Where the realized view reads fills from: the range's start, or this week's Monday
    if that is earlier (the week's total needs its fills)."""
    return min(start, week_start(today))


def realized_summary(realized: Realized, start: date, end: date, today: date, fills: int) -> Text:
    """The realized view's head: what was read and how, the totals, what is unmatched."""
    read = read_from(start, today)
    out = Text()
    out.append("Realized P&L", style="bold")
    out.append(f" · FIFO lots · {fills} fill{'s' if fills != 1 else ''} read since {read.isoformat()}\n",
               style="dim")
    out.append_text(_total("Today", realized.today(today)))
    out.append("\n")
    out.append_text(_total("This week", realized.week(today)))
    out.append("\n")
    out.append_text(_total("Range", realized.between(start, end)))
    out.append(f"  {start.isoformat()}..{end.isoformat()}\n", style="dim")
    unmatched = realized.between(start, end).unmatched
    if unmatched:
        said = ", ".join(f"{quantity(qty)} {_symbol(symbol)}" for symbol, qty in sorted(unmatched.items()))
        out.append(f"Unmatched: {said} closed from lots the account's fills do not account for (held "
                   "before its earliest fills, or moved in): cost unknown, left out", style=TONE_STYLES["warn"])
    else:
        out.append("Every close matched a lot of known cost", style="dim")
    return out


@dataclass(frozen=True)
class Export:
    """What `E` writes from the History screen (the app writes it: tui/export_files.py)."""

    kind: str  # one of tui.export_files.KINDS
    name: str  # the file's name, before its time
    items: tuple[Any, ...]
    what: str  # the toast's word for the rows
    note: str = ""  # said with the path: what the file leaves out


# ---- messages, desk, screen ------------------------------------------------------------------

class ActivitiesRead(Message):
    """One page of activities (or the problem reading it) for the generation that asked."""

    def __init__(self, generation: int, activities: Sequence[Any], more: bool, token: str | None,
                 problem: str | None) -> None:
        super().__init__()
        self.generation, self.activities, self.more, self.token, self.problem = \
            generation, list(activities), more, token, problem


class FillsRead(Message):
    """Every fill since a start (oldest first), or the problem reading them."""

    def __init__(self, generation: int, fills: Sequence[FillRow] | None, problem: str | None,
                 starting: Sequence[Lot] | None = None) -> None:
        """starting: the lots held before the first fill, with their cost where the fills
        before could tell it (None: unknown, worked out as lots of unknown cost)."""
        super().__init__()
        self.generation, self.fills, self.problem, self.starting = generation, fills, problem, starting


class HistoryDesk(Protocol):
    def page(self, query: ActivityFilter, token: str | None, generation: int, screen: Screen) -> None:
        """Read one page after `token`; post ActivitiesRead to the screen."""

    def fills(self, start: date, generation: int, screen: Screen) -> None:
        """Read every fill since New York date `start`; post FillsRead to the screen."""

    def positions(self) -> Mapping[str, Decimal]:
        """Signed quantity held now, per symbol."""

    def today(self) -> date:
        """The New York date on the server's clock."""

    def ask(self, title: str, placeholder: str, check: Callable[[str], str | None],
            then: Callable[[str | None], None]) -> None:
        """A one-line question (the app's PromptScreen)."""


class HistoryScreen(Screen[None]):
    BINDINGS = keymap.bindings(keymap.HISTORY)
    DEFAULT_CSS = """
    #history-body { height: 1fr; }
    #history-title { height: 1; padding: 0 1; }
    #pnl-summary { height: 5; padding: 0 1; }
    #history-table, #pnl-table { height: 1fr; border: none; }
    """

    def __init__(self, desk: HistoryDesk) -> None:
        super().__init__(classes="history")
        self.desk = desk
        self.view = "activities"  # | "pnl"
        self.filter = ActivityFilter()
        self.activities: list[Any] = []
        self.shown: list[Any] = []  # those the filter keeps
        self.more = True
        self.loading = False
        self.problem: str | None = None
        self.token: str | None = None
        self.tokens: set[str] = set()
        self.generation = 0
        self.hidden: tuple[str, ...] = ()  # the activity columns too wide to show
        today = desk.today()
        self.pnl_range = (today - timedelta(days=DEFAULT_DAYS), today)
        self.pnl_generation = 0
        self.pnl_loading = False
        self.realized: Realized | None = None
        self.pnl_fills = 0
        self.pnl_problem: str | None = None
        self.pnl_note: str | None = None  # read, but not all of it

    def compose(self) -> ComposeResult:
        with Vertical(id="history-body"):
            yield Static("", id="history-title")
            yield LiveTable(ACTIVITY_COLUMNS, drop_order=ACTIVITY_DROP, id="history-table")
            yield Static("", id="pnl-summary")
            yield LiveTable(CLOSE_COLUMNS, drop_order=CLOSE_DROP, id="pnl-table")
        yield bottom_bar()

    def on_mount(self) -> None:
        self._show_view()
        self.start()

    # ---- activities ----

    @property
    def table(self) -> LiveTable:
        return self.query_one("#history-table", LiveTable)

    def start(self) -> None:
        """Read from the newest activity (again) with the filter."""
        self.generation += 1
        self.activities, self.shown = [], []
        self.more, self.loading, self.problem, self.token, self.tokens = True, False, None, None, set()
        self.table.sync([])
        self.load_more()

    def load_more(self) -> None:
        if self.loading or not self.more:
            return
        self.loading = True
        self.desk.page(self.filter, self.token, self.generation, self)
        self._retitle()

    def on_activities_read(self, message: ActivitiesRead) -> None:
        message.stop()
        if message.generation != self.generation:
            return  # an older filter's answer
        self.loading = False
        self.problem = message.problem
        if message.problem is None:
            self.activities.extend(message.activities)
            self.shown.extend(a for a in message.activities if self.filter.keeps(a))
            token = message.token
            self.more = message.more and token is not None and token not in self.tokens
            if token:
                self.tokens.add(token)
                self.token = token
        else:
            self.more = False
        self.table.sync(activity_rows(self.shown))
        self._retitle()
        self._near_end()  # a filtered page may have kept few rows: read on while the screen is not full

    def on_data_table_row_highlighted(self, event: LiveTable.RowHighlighted) -> None:
        if event.data_table is self.table:
            self._near_end()

    def on_live_table_columns_hidden(self, event: LiveTable.ColumnsHidden) -> None:
        if event.table is self.table:
            self.hidden = event.labels
            self._retitle()

    def _near_end(self) -> None:
        table = self.table
        if table.row_count - table.cursor_row <= MORE_WITHIN:
            self.load_more()

    def _retitle(self) -> None:
        count = f"{len(self.shown)}{'+' if self.more else ''}"
        bits = [f"{count} activit{'y' if len(self.shown) == 1 and not self.more else 'ies'}"]
        if self.filter.words():
            bits.append(f"filter: {self.filter.words()}")
        if self.loading:
            bits.append("loading…")
        if self.problem:
            bits.append(f"cannot read: {self.problem}")
        if self.hidden:
            bits.append(hidden_note(self.hidden))
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append("Account activities", style="bold")
        out.append(" · " + " · ".join(bits), style="")
        self.query_one("#history-title", Static).update(out)

    # ---- realized P&L ----

    def read_fills(self) -> None:
        self.pnl_generation += 1
        self.pnl_loading, self.pnl_problem = True, None
        self.desk.fills(read_from(self.pnl_range[0], self.desk.today()), self.pnl_generation, self)
        self._show_pnl()

    def on_fills_read(self, message: FillsRead) -> None:
        message.stop()
        if message.generation != self.pnl_generation:
            return
        self.pnl_loading = False
        if message.fills is None:
            self.pnl_problem = message.problem or "no answer"
        else:
            fills = list(message.fills)
            self.pnl_fills, self.pnl_note = len(fills), message.problem
            starting = message.starting if message.starting is not None else lots_before(self.desk.positions(), fills)
            self.realized = realize(fills, starting)
        self._show_pnl()

    def _show_pnl(self) -> None:
        start, end = self.pnl_range
        summary = self.query_one("#pnl-summary", Static)
        table = self.query_one("#pnl-table", LiveTable)
        if self.pnl_problem:
            summary.update(Text(f"Realized P&L · FIFO lots · cannot read the fills: {self.pnl_problem}",
                                style=TONE_STYLES["warn"]))
            return
        if self.realized is None or self.pnl_loading:
            summary.update(Text(f"Realized P&L · FIFO lots · reading the fills since {read_from(start, self.desk.today()).isoformat()}…",
                                style="dim"))
            if self.realized is None:
                return
        else:
            said = realized_summary(self.realized, start, end, self.desk.today(), self.pnl_fills)
            if self.pnl_note:
                said.append(f" · {self.pnl_note}", style=TONE_STYLES["warn"])
            summary.update(said)
        closes = [c for c in self.realized.closes if start <= c.day <= end]
        table.sync(close_rows(closes[::-1]))

    # ---- export (the app's E) ----

    def export_view(self) -> Export | str:
        """What the view shows, to export; or why there is nothing to."""
        if self.view == "pnl":
            start, end = self.pnl_range
            if self.pnl_problem:
                return f"cannot read the fills: {self.pnl_problem}"
            if self.realized is None or self.pnl_loading:
                return "the fills are still being read"  # the table may show the previous range's
            closes = tuple(c for c in self.realized.closes if start <= c.day <= end)
            if not closes:
                return f"no closing fills in {start.isoformat()}..{end.isoformat()}"
            return Export("realized", "realized-pnl", closes, f"realized P&L close{'s' if len(closes) != 1 else ''}",
                          self.pnl_note or "")
        if not self.shown:
            if self.problem:
                return f"cannot read the activities: {self.problem}"
            return "the activities are still being read" if self.loading or self.more else "no activities"
        # What was read, as shown: a filter's later pages are read as the cursor goes down
        # (G reads them all), so the file says the same as the screen and no more.
        note = "more on the server: scroll down (G) to read them, then E again" if self.more else ""
        what = "activit" + ("y" if len(self.shown) == 1 else "ies")
        return Export("activities", "activities", tuple(self.shown), what, note)

    # ---- keys ----

    def _show_view(self) -> None:
        pnl = self.view == "pnl"
        for name, shown in (("#history-title", not pnl), ("#history-table", not pnl), ("#pnl-summary", pnl),
                            ("#pnl-table", pnl)):
            self.query_one(name).display = shown
        (self.query_one("#pnl-table", LiveTable) if pnl else self.table).focus()

    def action_toggle_pnl(self) -> None:
        self.view = "activities" if self.view == "pnl" else "pnl"
        self._show_view()
        if self.view == "pnl" and self.realized is None and not self.pnl_loading:
            self.read_fills()

    def action_filter(self) -> None:
        if self.view == "pnl":
            today = self.desk.today()

            def check_range(text: str) -> str | None:
                parsed = parse_range(text, today)
                return parsed if isinstance(parsed, str) else None

            def chosen_range(text: str | None) -> None:
                if text is None:
                    return
                parsed = parse_range(text, today)
                assert not isinstance(parsed, str)
                self.pnl_range = parsed
                self.read_fills()

            self.desk.ask("Realized P&L: the dates (fills are read from the start)",
                          f"2026-11-01..2026-11-30, 2026-11-01.. (empty: the last {DEFAULT_DAYS} days)",
                          check_range, chosen_range)
            return

        def check(text: str) -> str | None:
            parsed = parse_activity_filter(text)
            return parsed if isinstance(parsed, str) else None

        def chosen(text: str | None) -> None:
            if text is None:
                return
            parsed = parse_activity_filter(text)
            assert not isinstance(parsed, str)  # checked before the prompt closed
            self.filter = parsed
            self.start()

        self.desk.ask("Filter the activities: types, symbols, a date or range ($MA: the symbol MA)",
                      "DIV FEE AAPL 2026-11-01..2026-11-30 (empty: all)", check, chosen)

    def action_reload(self) -> None:
        if self.view == "pnl":
            self.read_fills()
        else:
            self.start()

    def action_back(self) -> None:
        self.dismiss(None)
