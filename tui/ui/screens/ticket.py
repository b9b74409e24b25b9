"""The order ticket and its review.

The ticket never sends anything: it validates what was typed (tui.broker.ticket), shows
each problem next to its field, and hands a valid plan to the review. The review shows
the consequences; `y` there dismisses the ticket with the plan, and the app sends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from .. import keymap
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, Label, Static

from ...broker.ticket import (
    ORDER_TYPES, PRICE_FIELDS, SIDES, AssetFacts, Holding, OrderPlan, Quote, Review, ReviewFacts, TicketForm,
    review, tifs_for, validate,
)
from ..format import money, price
from ..messages import TicketFacts
from ..widgets.choice import Choice
from ..format import DOWN, UP, WARN

# (field, label, kind, placeholder) in focus order: Symbol, then Quantity, then the rest.
FIELDS = [
    ("symbol", "Symbol", "input", "e.g. AAPL"),
    ("qty", "Quantity", "input", "shares"),
    ("notional", "or $", "input", "dollars instead"),
    ("side", "Side", "choice", ""),
    ("order_type", "Type", "choice", ""),
    ("limit_price", "Limit", "input", "limit price"),
    ("stop_price", "Stop", "input", "stop price"),
    ("trail", "Trail", "input", "$ amount, or percent like 2%"),
    ("tif", "TIF", "choice", ""),
    ("extended_hours", "Ext hours", "choice", ""),
    ("take_profit", "Take profit", "input", "optional, limit"),
    ("stop_loss", "Stop loss", "input", "optional, stop"),
]
ALL_PRICE_FIELDS = ("limit_price", "stop_price", "trail")


class TicketDesk(Protocol):
    """What the ticket asks of the app (the order flow, ui/orderflow.py implements it)."""

    def request_facts(self, screen: Screen, symbol: str, quote_only: bool = False) -> None:
        """Look up `symbol` off the UI thread; the answer comes to `screen` as TicketFacts."""

    def holding(self, symbol: str) -> Holding:
        """The position in `symbol` and what open orders hold of it (sells check against it)."""

    def review_facts(self, plan: OrderPlan) -> ReviewFacts:
        """The account's side of the review: buying power, day trades, the session."""

    def now(self) -> datetime:
        """The server's time: quote ages and sessions."""


FACTS_DELAY = 0.35  # seconds of no typing before the symbol is looked up
QUOTE_EVERY = 1.5  # seconds between quotes while the ticket is open: never older than 2 s


@dataclass(frozen=True)
class Approved:
    """What `y` sent from the review: the plan, and the estimate (with its quote) on screen."""

    plan: OrderPlan
    outlook: Review


class TicketScreen(ModalScreen[Approved | None]):
    """Dismisses with the approved plan to send, or None."""

    # Keys reach these bindings in the order typed, one at a time (tui/ui/keys.py); they
    # are priority bindings so that Enter and Tab act from any field.
    BINDINGS = keymap.bindings(keymap.TICKET)

    def __init__(self, side: str, symbol: str, *, live: bool, desk: TicketDesk) -> None:
        super().__init__()
        self.side = side
        self.initial_symbol = symbol
        self.live = live
        self.desk = desk
        self.asset: AssetFacts | None = None
        self.asset_symbol = ""  # the symbol self.asset / self.found / self.quote describe
        self.found = True
        self.quote: Quote | None = None
        self._review: ReviewScreen | None = None
        self._facts_timer = None
        self.last_edited = "symbol"  # where `n` from the review returns

    # ---- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="ticket", classes="live" if self.live else ""):
            yield Label("", id="ticket-title")
            for field, label, kind, placeholder in FIELDS:
                with Horizontal(classes="ticket-row", id=f"row-{field}"):
                    yield Label(label, classes="ticket-label")
                    yield self._field(field, kind, placeholder)
                    yield Static("", classes="field-error", id=f"error-{field}")
            yield Static("", id="ticket-quote")
            yield Label("Enter review · Tab next field · ←/→ change a choice · Esc cancel", classes="dim")
        yield Footer(compact=True, show_command_palette=False)

    def _field(self, field: str, kind: str, placeholder: str) -> Widget:
        if kind == "input":
            value = self.initial_symbol if field == "symbol" else ""
            return Input(value, placeholder=placeholder, id=field, select_on_focus=True)
        options = {"side": SIDES, "order_type": ORDER_TYPES, "tif": tifs_for("market"),
                   "extended_hours": ("no", "yes")}[field]
        return Choice(options, self.side if field == "side" else None, id=field)

    def on_mount(self) -> None:
        self._show_type_fields("market")
        self._retitle()
        symbol = self.query_one("#symbol", Input)
        symbol.focus()
        symbol.select_all()
        if self.initial_symbol:
            self.desk.request_facts(self, self.initial_symbol)
        self.set_interval(QUOTE_EVERY, self._refresh_quote)

    def _refresh_quote(self) -> None:
        """Keep the quote live while the ticket (or its review) is open."""
        if self.asset_symbol and self.found and self.asset_symbol == self.current_symbol:
            self.desk.request_facts(self, self.asset_symbol, quote_only=True)

    def _retitle(self) -> None:
        side = self.query_one("#side", Choice).value.upper()
        title = Text(f" {side} order ", style=f"bold reverse {UP}" if side == "BUY" else f"bold reverse {DOWN}")
        if self.live:
            title.append("  LIVE ACCOUNT — real money", style=f"bold {DOWN}")
        self.query_one("#ticket-title", Label).update(title)

    def _show_type_fields(self, order_type: str) -> None:
        wanted = PRICE_FIELDS.get(order_type, ())
        for field in ALL_PRICE_FIELDS:
            self.query_one(f"#row-{field}").display = field in wanted
        self.query_one("#tif", Choice).set_options(tifs_for(order_type))

    @on(Choice.Changed)
    def _choice_changed(self, event: Choice.Changed) -> None:
        if event.choice.id == "order_type":
            self._show_type_fields(event.value)
        elif event.choice.id == "side":
            self._retitle()
        self._clear_error(event.choice.id or "")
        if event.choice.has_focus:
            self.last_edited = event.choice.id or self.last_edited

    # ---- symbol facts (asset and quote), fetched by the app ----------------------------

    @on(Input.Changed, "#symbol")
    def _symbol_changed(self, event: Input.Changed) -> None:
        self._clear_error("symbol")
        if self._facts_timer is not None:
            self._facts_timer.stop()
        symbol = event.value.strip().upper()
        if symbol and symbol != self.asset_symbol:
            self._facts_timer = self.set_timer(FACTS_DELAY, lambda: self.desk.request_facts(self, symbol))

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        if event.input.id and event.input.id != "symbol":
            self._clear_error(event.input.id)
        if event.input.id and event.input.has_focus:
            self.last_edited = event.input.id

    def on_ticket_facts(self, message: TicketFacts) -> None:
        if message.symbol != self.current_symbol:
            return  # an answer for a symbol the user has since changed
        quote_line = self.query_one("#ticket-quote", Static)
        if message.quote_only:  # the periodic refresh: a newer quote, nothing else
            if message.symbol == self.asset_symbol and message.quote is not None:
                self.quote = message.quote
                self._show_quote(message.symbol, message.quote)
                if self._review is not None and self._review.checked:
                    self._review.update_outlook(self._outlook(self._review.plan))
            return
        if message.problem is not None:
            quote_line.update(Text(f"cannot look up {message.symbol}: {message.problem}", style=WARN))
            # The symbol is looked up while typing and again on Enter: one failed lookup
            # does not undo another's success (the review then shows the checked order).
            if self._review is not None and not self._review.checked:
                self._review.unavailable(f"cannot check {message.symbol}: {message.problem}")
            return
        self.asset_symbol, self.asset, self.found, self.quote = (
            message.symbol, message.asset, message.found, message.quote)
        q = message.quote
        if not message.found:
            quote_line.update("")
        elif q is not None:
            self._show_quote(message.symbol, q)
        if self._review is not None:
            self._recheck_review()
        elif not message.found:
            self._show_errors({"symbol": f"unknown symbol: {message.symbol}"}, focus=False)

    def _show_quote(self, symbol: str, q: Quote) -> None:
        self.query_one("#ticket-quote", Static).update(Text.assemble(
            (f"{symbol}  ", "bold"), ("bid ", "dim"), price(q.bid), ("  ask ", "dim"), price(q.ask),
            ("  last ", "dim"), price(q.last)))

    @property
    def current_symbol(self) -> str:
        return self.query_one("#symbol", Input).value.strip().upper()

    # ---- validation and review ---------------------------------------------------------

    def form(self) -> TicketForm:
        def text(field: str) -> str:
            return self.query_one(f"#{field}", Input).value

        def choice(field: str) -> str:
            return self.query_one(f"#{field}", Choice).value

        order_type = choice("order_type")
        wanted = PRICE_FIELDS.get(order_type, ())
        return TicketForm(
            symbol=text("symbol"), side=choice("side"), qty=text("qty"), notional=text("notional"),
            order_type=order_type,
            limit_price=text("limit_price") if "limit_price" in wanted else "",
            stop_price=text("stop_price") if "stop_price" in wanted else "",
            trail=text("trail") if "trail" in wanted else "",
            tif=choice("tif"), extended_hours=choice("extended_hours") == "yes",
            take_profit=text("take_profit"), stop_loss=text("stop_loss"),
        )

    def _clear_error(self, field: str) -> None:
        for error in self.query(f"#error-{field}"):
            error.update("")

    def _show_errors(self, errors: dict[str, str], focus: bool = True) -> None:
        for field, _, _, _ in FIELDS:
            self.query_one(f"#error-{field}", Static).update(
                Text(f"✗ {errors[field]}", style=f"bold {DOWN}") if field in errors else "")
        first = next((f for f, *_ in FIELDS if f in errors), None)
        if first is not None and focus:
            self.query_one(f"#{first}").focus()

    def _check(self) -> OrderPlan | dict[str, str]:
        """Validate the form with everything known about its symbol."""
        form = self.form()
        symbol = form.symbol.strip().upper()
        known = symbol == self.asset_symbol
        if known and not self.found:
            return {"symbol": f"unknown symbol: {symbol}"}
        return validate(form, self.asset if known else None, self.desk.holding(symbol))

    def _outlook(self, plan: OrderPlan) -> Review:
        quote = self.quote if plan.symbol == self.asset_symbol else None
        return review(plan, quote, self.desk.review_facts(plan), now=self.desk.now())

    def action_submit(self) -> None:
        result = self._check()
        if isinstance(result, dict):
            self._show_errors(result)
            return
        self._show_errors({})
        plan = result
        checked = plan.symbol == self.asset_symbol
        if not checked:  # the server has not described this symbol yet: the review waits for it
            self.desk.request_facts(self, plan.symbol)
        self._review = ReviewScreen(plan, self._outlook(plan), live=self.live, checked=checked)

        def reviewed(send: bool | None) -> None:
            self.query_one("#ticket").visible = True
            review_screen, self._review = self._review, None
            if send and review_screen is not None:
                self.dismiss(Approved(review_screen.plan, review_screen.outlook))
            else:  # back where the user last typed, not in Symbol (whose text is selected)
                self.call_after_refresh(self._focus_last_edited)

        self.query_one("#ticket").visible = False  # the review stands in its place
        self.app.push_screen(self._review, reviewed)

    def _focus_last_edited(self) -> None:
        for widget in self.query(f"#{self.last_edited}"):
            if widget.display and widget.parent is not None and widget.parent.display:
                widget.focus()

    def _recheck_review(self) -> None:
        """The symbol's facts arrived while the review was open: validate again."""
        if self._review is None or self._review.closing:
            return
        if self._review.checked:  # already checked: only the estimate can move
            self._review.update_outlook(self._outlook(self._review.plan))
            return
        result = self._check()
        if isinstance(result, dict):
            self._review.close(False)  # back to the ticket, the problem next to its field
            self._show_errors(result)
            return
        self._review.checked_plan(result, self._outlook(result))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReviewScreen(ModalScreen[bool]):
    """Everything about the order before it goes: `y` sends, `n` or Esc goes back.

    While the symbol is still being checked with the server, `y` waits (the app holds it:
    see holds_key) until the checked order and its estimate are on screen; if the check
    fails, the ticket shows why and nothing is sent. Nothing is ever sent that the screen
    did not show.
    """

    BINDINGS = keymap.bindings(keymap.REVIEW)

    def __init__(self, plan: OrderPlan, outlook: Review, *, live: bool, checked: bool = True) -> None:
        super().__init__()
        self.plan = plan
        self.outlook = outlook
        self.live = live
        self.checked = checked
        self.shown = False  # the checked plan has been drawn: y may act on it
        self.closing = False
        self.problem: str | None = None  # why the symbol could not be checked

    def compose(self) -> ComposeResult:
        with Vertical(id="review", classes="live" if self.live else ""):
            yield Label(Text(" Review order ", style="bold reverse"), id="dialog-title")
            if self.live:
                yield Label("LIVE ACCOUNT — real money", classes="live-warning")
            yield Static(self._body(), id="review-body")
            yield Label(self._keys(), id="review-keys")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        if self.checked:
            self.call_after_refresh(self._drawn)

    def _drawn(self) -> None:
        self.shown = self.checked

    def holds_key(self, key: str) -> bool:
        """`y` typed ahead waits until the checked order is on screen (or the check failed)."""
        return key == "y" and not self.shown and self.problem is None and not self.closing

    def _keys(self) -> str:
        if not self.checked:
            return f"checking {self.plan.symbol}… · y send (once checked) · n / Esc back"
        return "y send · n / Esc back to the ticket"

    def _body(self) -> Text:
        text = Text()
        for label, value in self.plan.rows():
            text.append(f"{label:<15}", style="dim")
            text.append(f"{value}\n")
        o = self.outlook
        text.append(f"{'Est. cost':<15}", style="dim")
        text.append(f"${money(o.estimated_cost)}" if o.estimated_cost is not None else "unknown")
        if o.price is not None:
            text.append(f"  at ~{price(o.price)}", style="dim")
        text.append("\n")
        text.append(f"{'BP after':<15}", style="dim")
        text.append(f"${money(o.buying_power_after)}\n" if o.buying_power_after is not None else "unknown\n")
        for label, value in o.rows():  # the quote behind the estimate (and its age), the session
            text.append(f"{label:<15}", style="dim")
            text.append(f"{value}\n")
        for warning in o.warnings:
            text.append(f"⚠ {warning}\n", style=f"bold {WARN}")
        return text.rstrip() or text

    def _redraw(self) -> None:
        if self.is_mounted:
            self.query_one("#review-body", Static).update(self._body())
            self.query_one("#review-keys", Label).update(self._keys())

    def checked_plan(self, plan: OrderPlan, outlook: Review) -> None:
        if self.closing:
            return
        # Checked now: an earlier lookup's failure no longer stands between y and this order.
        self.plan, self.outlook, self.checked, self.problem = plan, outlook, True, None
        self._redraw()
        self.call_after_refresh(self._drawn)

    def update_outlook(self, outlook: Review) -> None:
        """A newer quote: the estimate follows it (y then acts on what is shown)."""
        if self.closing or not self.checked:
            return
        self.outlook = outlook
        self._redraw()

    def close(self, send: bool) -> None:
        """Dismiss once: a second dismiss would pop the screen under this one."""
        if not self.closing:
            self.closing = True
            self.dismiss(send)

    def unavailable(self, why: str) -> None:
        """The symbol could not be checked (server trouble): do not send blind."""
        self.problem = why
        if self.is_mounted:
            self.query_one("#review-keys", Label).update(Text(f"{why} · n / Esc back", style=WARN))

    def action_send(self) -> None:
        if self.checked and self.shown and self.problem is None:
            self.close(True)

    def action_back(self) -> None:
        self.close(False)
