"""An order's detail (Enter on a row of the Orders pane, an order or a leg): every field
Alpaca sent for it, its legs each with its own status, and its timeline — what the stream
and REST said of it, oldest first. `y` / `Y` copy its id / client_order_id (Textual's
clipboard: OSC 52, so it works over SSH), `c` cancels it (the app's confirmation), Esc
goes back.

The screen shows what its desk gives it and follows the order's timeline: each recorded
event or changed REST answer redraws it. Its one read (the order by REST, when it opens and
when the stream says it ended) runs on a worker thread of the app and comes back as a
message.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterable, Protocol, Sequence

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from ...broker.order_events import TERMINAL
from ...numbers import moment
from ...state.orders import is_open, status_of
from ...state.slippage import ShownQuote, Slip, measure, measure_order
from ...state.timeline import REST, Entry, Timeline
from ...text import clean
from .. import keymap
from ..format import (
    DASH, DOWN, NY, UP, basis_points, dec, enum_text, instrument, price, quantity, signed_dollars, signed_price, word,
)
from ..widgets.statusbar import bottom_bar
from ..widgets.orders import order_label

if TYPE_CHECKING:
    from ..app import AlpacaApp

# Fields in the order they are shown; any other field the order has follows them.
IDS = (("id", "Order id"), ("client_order_id", "Client id"), ("asset_id", "Asset id"),
       ("replaced_by", "Replaced by"), ("replaces", "Replaces"))
FACTS = (
    ("symbol", "Symbol"), ("asset_class", "Asset class"), ("side", "Side"), ("type", "Type"),
    ("order_class", "Class"), ("qty", "Qty"), ("notional", "Notional"), ("filled_qty", "Filled qty"),
    ("filled_avg_price", "Avg fill price"), ("limit_price", "Limit"), ("stop_price", "Stop"),
    ("trail_price", "Trail $"), ("trail_percent", "Trail %"), ("hwm", "HWM"), ("time_in_force", "TIF"),
    ("extended_hours", "Extended hours"), ("status", "Status"), ("position_intent", "Position intent"),
    ("ratio_qty", "Ratio qty"),
)
TIMES = (
    ("submitted_at", "Submitted"), ("created_at", "Created"), ("updated_at", "Updated"), ("filled_at", "Filled"),
    ("canceled_at", "Canceled"), ("expired_at", "Expired"), ("expires_at", "Expires"), ("replaced_at", "Replaced"),
    ("failed_at", "Failed"),
)
ALWAYS = {"symbol", "side", "type", "qty", "filled_qty", "filled_avg_price", "time_in_force", "extended_hours",
          "status", "submitted_at", "created_at", "updated_at", "id", "client_order_id"}
QUANTITIES = {"qty", "filled_qty", "ratio_qty", "trail_percent"}
FIGURES = {"notional", "filled_avg_price", "limit_price", "stop_price", "trail_price", "hwm"}
SKIPPED = {"legs", "order_type"}  # legs have their own table; order_type is `type` again
VALUE_LIMIT = 80  # characters of one field's value


def figure(value: Any) -> str:
    """A figure exactly as sent (grouped): 250.5 reads 250.50, 0.123456 stays whole."""
    d = dec(value)
    if d is None:
        return DASH if value is None else clean(value, one_line=True, limit=VALUE_LIMIT)
    shown = price(d)
    try:
        exact = Decimal(shown.replace(",", "")) == d
    except ArithmeticError:
        exact = False
    return shown if exact else quantity(d)


def amount(value: Any) -> str:
    """A quantity as sent, without trailing zeros: 3, 0.5."""
    if dec(value) is None:
        return DASH if value is None else clean(value, one_line=True, limit=VALUE_LIMIT)
    return quantity(value)


def when(value: Any, *, date: bool = True) -> str:
    at = moment(value)
    if at is None:
        return DASH if value is None else clean(value, one_line=True, limit=VALUE_LIMIT)
    return at.astimezone(NY).strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S")


def shown(name: str, value: Any) -> str:
    """One field's value as plain text."""
    if name in QUANTITIES:
        return amount(value)
    if name in FIGURES:
        return figure(value)
    if name.endswith("_at"):
        return when(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return DASH
    if name == "symbol":
        return instrument(value)
    return clean(enum_text(value), one_line=True, limit=VALUE_LIMIT)


def fields_of(order: Any) -> dict[str, Any]:
    """Every field the order has, by name (an alpaca-py model, or any object in a test)."""
    names = list(getattr(type(order), "model_fields", None) or vars(order))
    found = {name: getattr(order, name, None) for name in names}
    found.update(getattr(order, "model_extra", None) or {})
    return found


def leg_name(leg: Any) -> str:
    kind = enum_text(getattr(leg, "type", None) or getattr(leg, "order_type", None))
    return "take profit" if kind == "limit" else "stop loss" if "stop" in kind else "leg"


def field_lines(order: Any) -> Group:
    """The ids on lines of their own, then two columns: the order's facts and its times."""
    values = fields_of(order)
    known = {name for name, _ in IDS + FACTS + TIMES} | SKIPPED
    ids = Table.grid(padding=(0, 1))
    ids.add_column(style="dim", no_wrap=True)
    ids.add_column(overflow="fold")
    for name, label in IDS:
        if name in ALWAYS or values.get(name) is not None:
            ids.add_row(label, Text(shown(name, values.get(name))))
    pairs = [(label, shown(name, values.get(name))) for name, label in FACTS + TIMES
             if name in ALWAYS or values.get(name) is not None]
    pairs += [(clean(name, one_line=True, limit=30), shown(name, value)) for name, value in values.items()
              if name not in known and value is not None]
    grid = Table.grid(padding=(0, 1))
    for style in ("dim", "", "dim", ""):
        grid.add_column(style=style, no_wrap=style == "dim", overflow="fold")
    half = (len(pairs) + 1) // 2
    for index in range(half):
        left = pairs[index]
        right = pairs[index + half] if index + half < len(pairs) else ("", "")
        grid.add_row(left[0], Text(left[1]), Text(" " + right[0]) if right[0] else "", Text(right[1]))
    return Group(ids, Text(""), grid, Text("times in New York", style="dim"))


def legs_table(legs: Sequence[Any]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False, title="Legs", title_justify="left",
                  title_style="bold")
    for name, right in (("Leg", False), ("Side", False), ("Type", False), ("Qty", True), ("Filled", True),
                        ("Limit", True), ("Stop", True), ("Avg fill", True), ("Status", False), ("Id", False)):
        table.add_column(name, justify="right" if right else "left", no_wrap=True)
    for leg in legs:
        table.add_row(leg_name(leg), Text(word(leg.side)), Text(word(leg.type or leg.order_type)),
                      amount(leg.qty), amount(leg.filled_qty), figure(leg.limit_price), figure(leg.stop_price),
                      figure(leg.filled_avg_price) if leg.filled_avg_price is not None else DASH,
                      Text(word(leg.status), style="bold"), Text(clean(leg.id, one_line=True, limit=8)))
    return table


def timeline_table(rows: Sequence[tuple[str, Entry]], legs: bool, now: datetime | None = None) -> Table | Text:
    """rows: (whose: "" for the order, else the leg's name, the entry), oldest first.
    Times of another New York day than `now`'s carry their date."""
    if not rows:
        return Text("Timeline: nothing seen yet", style="dim")
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False, title="Timeline (oldest first)",
                  title_justify="left", title_style="bold")
    columns = [("Seen", False), ("From", False)] + ([("Order", False)] if legs else []) + [
        ("Event", False), ("Filled", True), ("Avg", True), ("Fill", True), ("Alpaca time", False)]
    for name, right in columns:
        table.add_column(name, justify="right" if right else "left", no_wrap=True)
    for whose, entry in rows:
        what = word(entry.what)
        if entry.status and entry.status != entry.what:
            what = f"{what} ({word(entry.status)})"
        fill = f"{amount(entry.fill_qty)} @ {figure(entry.fill_price)}" if entry.fill_qty else ""
        cells = [when(entry.seen_at, date=not same_day(entry.seen_at, now)),
                 "REST" if entry.source == REST else "stream"]
        if legs:
            cells.append(whose or "order")
        cells += [Text(what), amount(entry.filled_qty) if entry.filled_qty else "",
                  figure(entry.filled_avg_price) if entry.filled_avg_price else "", fill,
                  when(entry.event_at, date=not same_day(entry.event_at, now)) if entry.event_at else ""]
        table.add_row(*cells)
    return table


def slippage_lines(order: Any, quote: ShownQuote | None, fills: Sequence[tuple[Decimal, Decimal]],
                   now: datetime | None) -> Table | Text | None:
    """A market order's fills against the quote shown when it was sent, each and on
    average (the order's own filled_avg_price); None for other orders. fills: (qty, price)."""
    if enum_text(getattr(order, "type", None) or getattr(order, "order_type", None)) != "market":
        return None
    if quote is None:
        return Text("Slippage: not measured (no quote on record: sent from elsewhere, or before a quote "
                    "was shown)", style="dim")
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    for _ in range(4):
        table.add_column(justify="right", no_wrap=True)
    shown = [f"bid {figure(quote.bid)}", f"ask {figure(quote.ask)}"] + (
        [f"last {figure(quote.last)}"] if quote.last is not None else [])
    age = ""
    if quote.quoted_at is not None and quote.sent_at is not None:
        seconds = max(0, int((quote.sent_at - quote.quoted_at).total_seconds()))
        age = f" · {seconds:,} s old"
    sent = f" at {when(quote.sent_at, date=not same_day(quote.sent_at, now))}" if quote.sent_at else ""
    head = Text.assemble(("Slippage", "bold"), (f" · market order against the {quote.priced_at} "
                                                f"{figure(quote.reference)} on the review", "dim"))
    said = Text.assemble(("Quote at send ", "dim"), " ".join(shown) + age + sent)

    def row(label: str, slip: Slip, at: str) -> None:
        tone_style = UP if slip.per_share > 0 else DOWN if slip.per_share < 0 else ""
        table.add_row(label, f"{amount(slip.qty)} @ {figure(at)}",
                      Text(f"{signed_price(slip.per_share)}/sh", style=tone_style),
                      Text(basis_points(slip.bp), style=tone_style),
                      Text(signed_dollars(slip.amount), style=tone_style))

    average = measure_order(quote, order)
    if len(fills) > 1 or average is None:
        for qty, fill_price in fills:
            row("Fill", measure(quote, fill_price, qty), str(fill_price))
    if average is not None:
        row("Average" if len(fills) > 1 else "Fill", average, str(order.filled_avg_price))
    elif not fills:
        table.add_row("Fills", Text("none yet", style="dim"), "", "", "")
    return Group(head, said, table, Text("negative: worse than the quote (paid more, or got less)", style="dim"))


def same_day(at: datetime | None, now: datetime | None) -> bool:
    at, now = moment(at), moment(now)
    return at is not None and now is not None and at.astimezone(NY).date() == now.astimezone(NY).date()


class OrderDesk(Protocol):
    timeline: Timeline

    def now(self) -> datetime:
        """The server's time: times of other days are shown with their dates."""

    def shown_quote(self, order: Any) -> ShownQuote | None:
        """The quote a market order was sent at, if this app sent it."""

    def fills_of(self, order_id: str) -> list[tuple[Decimal, Decimal]]:
        """The order's fills the app knows of, (qty, price), oldest first."""

    def current(self, order_id: str, parent_id: str | None) -> Any | None:
        """The order as the account's state has it now (a leg from its parent), or None."""

    def read(self, order_id: str, screen: Screen) -> None:
        """Read the order by REST off the UI thread; post OrderRead to `screen`."""

    def accept(self, order: Any) -> None:
        """A REST read's order: onto the timeline."""

    def cancel(self, order: Any) -> None:
        """The app's cancel flow (its confirmation) for this order."""

    def modify(self, order: Any) -> None:
        """The app's modify flow (the ticket, its review) for this order."""


class OrderRead(Message):
    def __init__(self, order_id: str, order: Any, problem: Any) -> None:
        super().__init__()
        self.order_id, self.order, self.problem = order_id, order, problem


def newest(*orders: Any) -> Any:
    """The most recently updated of the orders given (the first of equals; None skipped)."""
    found = None
    for order in orders:
        if order is None:
            continue
        if found is None:
            found = order
            continue
        at, before = moment(order.updated_at), moment(found.updated_at)
        if at is not None and before is not None and at > before:
            found = order
    return found


class OrderDetailScreen(Screen[None]):
    BINDINGS = keymap.bindings(keymap.ORDER_DETAIL)
    DEFAULT_CSS = """
    OrderDetailScreen #order-detail-body { padding: 0 1; }
    OrderDetailScreen #od-head { margin-bottom: 1; }
    OrderDetailScreen #od-legs, OrderDetailScreen #od-timeline, OrderDetailScreen #od-slippage { margin-top: 1; }
    """

    def __init__(self, order: Any, desk: OrderDesk, parent_id: str | None = None) -> None:
        super().__init__(classes="order-detail")
        self.order_id = str(order.id)
        self.parent_id = parent_id
        self.first = order  # as the row showed it
        self.desk = desk
        self.order: Any = order
        self.legs: list[Any] = list(order.legs or [])
        self.reading = False
        self.read_again = False  # the stream said it ended while a read was out: read once more
        self.read_problem = ""
        self._redraw_due = False
        self._keys_for: tuple[bool, bool] | None = None  # (open, has a client id) the footer was made for

    @property
    def watched(self) -> set[str]:
        return {self.order_id, *(str(leg.id) for leg in self.legs)}

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="order-detail-body"):
            yield Static("", id="od-head")
            yield Static("", id="od-fields")
            yield Static("", id="od-legs")
            yield Static("", id="od-slippage")
            yield Static("", id="od-timeline")
        yield bottom_bar()

    def on_mount(self) -> None:
        self.desk.timeline.listen(self._heard)
        self.redraw()
        self.query_one("#order-detail-body").focus()
        self._read()

    def on_unmount(self) -> None:
        self.desk.timeline.unlisten(self._heard)

    # ---- following the order ----

    def _heard(self, order_ids: set[str]) -> None:
        """The timeline recorded something: redraw once the batch is applied (the state
        is swapped after the records), and read it again when the stream says it ended."""
        if not order_ids & self.watched:
            return
        if self.order_id in order_ids:
            last = self.desk.timeline.entries(self.order_id)
            if last and last[-1].source != REST and last[-1].status in TERMINAL:
                self._read()
        if not self._redraw_due:
            self._redraw_due = True
            self.call_later(self.redraw)

    def _read(self) -> None:
        if self.reading:
            self.read_again = True
            return
        self.reading = True
        self.desk.read(self.order_id, self)

    def on_order_read(self, message: OrderRead) -> None:
        message.stop()
        self.reading = False
        if self.read_again:
            self.read_again = False
            self._read()
        if message.order is not None and str(message.order.id) == self.order_id:
            self.read_problem = ""
            self.desk.accept(message.order)  # recorded: the timeline's listeners redraw
        else:
            self.read_problem = str(message.problem or "the server has no such order")
        self.redraw()

    def refresh_order(self) -> None:
        """The freshest version of the order: the state's, the newest seen on the timeline
        or the row's; its legs each at their newest too."""
        timeline = self.desk.timeline
        order = newest(self.desk.current(self.order_id, self.parent_id), timeline.latest(self.order_id),
                       self.order)
        legs = order.legs or self.legs
        self.order = order
        self.legs = [newest(leg, timeline.latest(str(leg.id))) for leg in legs or []]

    def redraw(self) -> None:
        self._redraw_due = False
        if not self.is_attached:
            return
        self.refresh_order()
        order = self.order
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(order_label(order), style="bold")
        head.append(f" · {word(order.status)}", style="bold")
        if self.parent_id:
            head.append("  (a leg: its order's other legs are on its own detail)", style="dim")
        note = "reading the order…" if self.reading else (
            f"could not read the order: {clean(self.read_problem, one_line=True, limit=120)}"
            if self.read_problem else "")
        if note:
            head.append(f"\n{note}", style="dim")
        self.query_one("#od-head", Static).update(head)
        self.query_one("#od-fields", Static).update(field_lines(order))
        legs = self.query_one("#od-legs", Static)
        legs.display = bool(self.legs)
        if self.legs:
            legs.update(legs_table(self.legs))
        slippage = slippage_lines(order, self.desk.shown_quote(order), self._fills(), self.desk.now())
        slipped = self.query_one("#od-slippage", Static)
        slipped.display = slippage is not None
        if slippage is not None:
            slipped.update(slippage)
        self.query_one("#od-timeline", Static).update(
            timeline_table(self._timeline_rows(), bool(self.legs), self.desk.now()))
        keys_for = (is_open(order), bool(getattr(order, "client_order_id", None)))
        if keys_for != self._keys_for:  # c and Y shown only when they can act
            self._keys_for = keys_for
            self.refresh_bindings()

    def _fills(self) -> list[tuple[Decimal, Decimal]]:
        """The order's own fills: the account's (FILL activities and the stream's), else
        the executions its timeline recorded."""
        known = self.desk.fills_of(self.order_id)
        if known:
            return known
        executions = {}
        for entry in self.desk.timeline.entries(self.order_id):
            qty, fill_price = dec(entry.fill_qty), dec(entry.fill_price)
            if qty and fill_price and entry.source != REST:
                executions[entry.execution_id or entry.seq] = (qty, fill_price)
        return list(executions.values())

    def _timeline_rows(self) -> list[tuple[str, Entry]]:
        timeline = self.desk.timeline
        rows = [("", entry) for entry in timeline.entries(self.order_id)]
        for leg in self.legs:
            rows += [(leg_name(leg), entry) for entry in timeline.entries(str(leg.id))]
        return sorted(rows, key=lambda row: row[1].seq)

    # ---- keys ----

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_order":
            return is_open(self.order)
        if action == "copy_client_id":
            return bool(getattr(self.order, "client_order_id", None))
        return True

    def _copy(self, text: Any, what: str) -> None:
        value = clean(text, one_line=True, limit=200)
        if not value:
            self.app.notify(f"This order has no {what}.", severity="warning")
            return
        self.app.copy_to_clipboard(value)
        self.app.notify(f"Copied the {what}: {value}", title="Clipboard", timeout=4)

    def action_copy_id(self) -> None:
        self._copy(self.order.id, "order id")

    def action_copy_client_id(self) -> None:
        self._copy(getattr(self.order, "client_order_id", None), "client_order_id")

    def action_cancel_order(self) -> None:
        if not is_open(self.order):
            self.app.notify(f"This order is {word(status_of(self.order))}: nothing to cancel.", severity="warning")
            return
        self.desk.cancel(self.order)

    def action_modify_order(self) -> None:
        if not is_open(self.order):
            self.app.notify(f"This order is {word(status_of(self.order))}: only open orders can be modified.",
                            title="Modify", severity="warning")
            return
        self.desk.modify(self.order)

    def action_back(self) -> None:
        self.dismiss(None)


class AppOrderDesk:
    """The app's side of the screen: the account's state, the broker (on a worker thread)
    and the cancel flow."""

    def __init__(self, app: AlpacaApp) -> None:
        from ...state.timeline import timeline_of

        self.app = app
        self.timeline = timeline_of(app.state)

    def now(self) -> datetime:
        return self.app.state.server_now()

    def shown_quote(self, order: Any) -> ShownQuote | None:
        return self.app.state.slippage.quote(order.id, getattr(order, "client_order_id", None))

    def fills_of(self, order_id: str) -> list[tuple[Decimal, Decimal]]:
        return [(fill.qty, fill.price) for fill in reversed(self.app.state.fills) if fill.order_id == order_id]

    def current(self, order_id: str, parent_id: str | None) -> Any | None:
        orders = self.app.state.orders
        if parent_id is None:
            return orders.get(order_id)
        parent = orders.get(parent_id)
        return next((leg for leg in (parent.legs or []) if str(leg.id) == order_id), None) if parent else None

    def read(self, order_id: str, screen: Screen) -> None:
        app = self.app

        def run() -> None:
            from ...broker.errors import describe

            try:
                with app.requests.urgent():  # the user is looking at it
                    order, problem = app.broker.order(order_id), None
            except Exception as err:  # the broker's requests have a deadline: this ends
                order, problem = None, describe(err)
            screen.post_message(OrderRead(order_id, order, problem))

        app.run_worker(run, thread=True, group="order-detail", name=f"read order {order_id}", exit_on_error=False)

    def accept(self, order: Any) -> None:
        from ...state.orders import accept_order

        accept_order(self.app.state, order)

    def cancel(self, order: Any) -> None:
        """Select its row in the Orders pane and run the app's cancel (its confirmation)."""
        from ..widgets.orders import OrdersPane, OrdersTable

        pane = self.app.main.query_one(OrdersPane)
        pane.showing_fills = False
        table = pane.query_one(OrdersTable)
        order_id = str(order.id)
        try:
            table.move_cursor(row=table.get_row_index(order_id))
        except Exception:  # no longer listed: it ended meanwhile
            self.app.notify("This order is no longer open: nothing to cancel.", severity="warning")
            return
        if pane.selected_order is None or str(pane.selected_order.id) != order_id:
            self.app.notify("This order is no longer open: nothing to cancel.", severity="warning")
            return
        self.app.action_cancel_order()

    def modify(self, order: Any) -> None:
        """The app's modify flow: the ticket filled in from the order, then its review."""
        self.app.flow.modify_order(order)


def parent_of(orders: Iterable[Any], order_id: str) -> str | None:
    """The id of the open order that has `order_id` as a leg, if any."""
    for order in orders:
        if any(str(leg.id) == order_id for leg in order.legs or []):
            return str(order.id)
    return None
