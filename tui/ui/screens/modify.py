"""Modify an open order (`m`): the order ticket filled in from the order, with the symbol,
side and type locked (a bracket leg: only its price open), and its review listing each
changed field as old → new. `y` there dismisses the ticket with the Modification; the app
sends it (PATCH /v2/orders/{id}, through the Dispatcher). Nothing changed: nothing goes.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Footer, Input, Label, Static

from ...broker.order_modify import (
    Modification, changes_of, editable, form_of, leg_changes, leg_kind, own_holding,
)
from ...broker.ticket import validate
from ..format import DOWN, UP, WARN
from ..widgets.choice import Choice
from .ticket import ReviewScreen, TicketDesk, TicketScreen

HIDDEN = ("notional", "take_profit", "stop_loss")  # never part of a replace


class ModifyScreen(TicketScreen):
    """Dismisses with the Modification to send, or None."""

    def __init__(self, order: Any, *, leg: bool, live: bool, desk: TicketDesk) -> None:
        self.order = order
        self.leg = leg
        self.prefill = form_of(order)
        self.editable = editable(order, leg)
        super().__init__(self.prefill.side, self.prefill.symbol, live=live, desk=desk)

    def _field(self, field: str, kind: str, placeholder: str) -> Widget:
        widget = super()._field(field, kind, placeholder)
        if isinstance(widget, Input):
            widget.value = str(getattr(self.prefill, field, "") or "")
        elif isinstance(widget, Choice):
            value = {"side": self.prefill.side, "order_type": self.prefill.order_type, "tif": self.prefill.tif,
                     "extended_hours": "yes" if self.prefill.extended_hours else "no"}[field]
            if value not in widget.options:
                widget.options.append(value)
            widget.set_reactive(Choice.value, value)
        widget.disabled = field not in self.editable
        return widget

    def _show_type_fields(self, order_type: str) -> None:
        super()._show_type_fields(self.prefill.order_type)  # the type is locked: its fields, whatever is asked

    def on_mount(self) -> None:
        super().on_mount()
        tif = self.query_one("#tif", Choice)
        if self.prefill.tif not in tif.options:
            tif.options.append(self.prefill.tif)
        tif.value = self.prefill.tif
        for field in HIDDEN:
            self.query_one(f"#row-{field}").display = False
        if self.leg:  # a leg: its price only (its row stays, whatever its type shows)
            for field in ("qty", "tif", "extended_hours"):
                self.query_one(f"#row-{field}").display = field != "extended_hours"
        first = self.editable[0]
        self.last_edited = first
        self._focus_first()

    def _focus_first(self) -> None:
        widget = self.query_one(f"#{self.editable[0]}")
        widget.focus()
        if isinstance(widget, Input):
            widget.select_all()

    def _retitle(self) -> None:
        side = self.prefill.side.upper()
        what = "take-profit leg" if self.leg and leg_kind(self.order) == "take_profit" else \
            "stop-loss leg" if self.leg else "order"
        title = Text(f" MODIFY {side} {what} ", style=f"bold reverse {UP}" if side == "BUY" else f"bold reverse {DOWN}")
        title.append(f"  id {str(self.order.id)[:8]}", style="dim")
        if self.live:
            title.append("  LIVE ACCOUNT — real money", style=f"bold {DOWN}")
        self.query_one("#ticket-title", Label).update(title)

    def check_modification(self) -> Modification | dict[str, str] | None:
        """The changes (None: nothing changed), or {field: message} — the ticket's checks."""
        form = self.form()
        if self.leg:
            return leg_changes(self.order, form, self.editable)
        symbol = form.symbol.strip().upper()
        known = symbol == self.asset_symbol and self.found
        plan = validate(form, self.asset if known else None, own_holding(self.desk.holding(symbol), self.order))
        if isinstance(plan, dict):
            return plan
        return changes_of(self.order, plan, self.editable)

    def action_submit(self) -> None:
        result = self.check_modification()
        if isinstance(result, dict):
            self._show_errors(result)
            return
        self._show_errors({})
        if result is None:
            self.query_one("#ticket-quote", Static).update(Text("Nothing changed: nothing to send.", style=WARN))
            self.app.notify("Nothing changed: nothing sent.", title="Modify", severity="warning")
            return
        review = ModifyReviewScreen(result, live=self.live)

        def reviewed(send: bool | None) -> None:
            self.query_one("#ticket").visible = True
            if send:
                self.dismiss(result)
            else:
                self.call_after_refresh(self._focus_last_edited)

        self.query_one("#ticket").visible = False
        self.app.push_screen(review, reviewed)


class ModifyReviewScreen(ReviewScreen):
    """The order and each changed field as old → new: `y` replaces it, `n` or Esc goes back."""

    def __init__(self, modification: Modification, *, live: bool) -> None:
        super().__init__(None, None, live=live, checked=True)  # type: ignore[arg-type]
        self.modification = modification

    def compose(self) -> ComposeResult:
        with Vertical(id="review", classes="live" if self.live else ""):
            yield Label(Text(" Review modification ", style="bold reverse"), id="dialog-title")
            if self.live:
                yield Label("LIVE ACCOUNT — real money", classes="live-warning")
            yield Static(self._body(), id="review-body")
            yield Label(self._keys(), id="review-keys")
        yield Footer(compact=True, show_command_palette=False)

    def _keys(self) -> str:
        return "y replace the order · n / Esc back to the ticket"

    def _body(self) -> Text:
        text = Text()
        text.append(f"{'Order':<15}", style="dim")
        text.append(f"{self.modification.label}\n")
        for row in self.modification.rows:
            text.append(f"{row.label:<15}", style="dim")
            text.append(f"{row.old} → ")
            text.append(f"{row.new}\n", style="bold")
        text.append("The order is replaced by a new one (a new id); the old one ends replaced.", style="dim")
        return text

    def update_outlook(self, outlook: Any) -> None:
        return
