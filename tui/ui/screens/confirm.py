"""Confirmations: `y` confirms, `n` or Esc cancels, and every path dismisses with a value.

Bulk actions open with the focus on Cancel, so a stray Enter does nothing harmful. On a
live account they ask for a typed word instead of `y`: a reflex cannot close everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.actions import SkipAction
from textual.screen import ModalScreen
from textual.widgets import Footer, Button, Checkbox, Input, Label, Static

from ..format import quantity


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no. Dismisses True only on `y` or the Yes button."""

    BINDINGS = [
        Binding("y", "confirm_key", "Yes", priority=True),
        Binding("n", "cancel_key", "No", priority=True),
        Binding("escape", "cancel", "Cancel", priority=True),
    ]

    def __init__(self, title: str, lines: list[str], *, yes: str = "Yes", bulk: bool = False,
                 live: bool = False, typed: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.yes = yes
        self.bulk = bulk
        self.live = live
        self.typed = typed  # the word to type instead of pressing y (live bulk actions)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="live" if self.live else ""):
            yield Label(self.title_text, id="dialog-title")
            if self.live:
                yield Label("LIVE ACCOUNT — real money", classes="live-warning")
            for line in self.lines:
                yield Static(line, classes="dialog-line", markup=False)
            yield from self.extra()
            if self.typed:
                yield Label(f"Type {self.typed} and press Enter to confirm.", id="typed-hint")
                yield Input(placeholder=self.typed, id="typed")
            with Horizontal(id="dialog-buttons"):
                yield Button(f"{self.yes} \\[y]", id="yes", variant="error" if self.bulk else "primary")
                yield Button("Cancel \\[n]", id="no")
        yield Footer(compact=True, show_command_palette=False)

    def extra(self) -> ComposeResult:
        return iter(())

    def on_mount(self) -> None:
        self.query_one(self.first_focus()).focus()

    def first_focus(self) -> str:
        if self.typed:
            return "#typed"
        return "#no" if self.bulk else "#yes"

    def result(self) -> object:
        return True

    def action_confirm(self) -> None:
        if self.typed and self.query_one("#typed", Input).value.strip().upper() != self.typed.upper():
            hint = self.query_one("#typed-hint", Label)
            hint.update(f"Type {self.typed} exactly to confirm (Esc cancels). Nothing was sent.")
            hint.add_class("error")
            return
        value = self.result()
        if value is not None:
            self.dismiss(value)

    def action_confirm_key(self) -> None:
        if self.typed:
            raise SkipAction()  # the letter belongs to the typed word
        self.action_confirm()

    def action_cancel_key(self) -> None:
        if self.typed:
            raise SkipAction()
        self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "typed":
            event.stop()
            self.action_confirm()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "yes":
            self.action_confirm()
        else:
            self.action_cancel()


class QuantityField(Input):
    """Digits, point and comma; any other key is left to the dialog (y confirms, n cancels),
    where a plain Input would take every printable key as text."""

    def __init__(self, **kwargs) -> None:
        super().__init__(restrict=r"[0-9.,]*", **kwargs)

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character is not None and (character.isdigit() or character in ".,")


@dataclass(frozen=True)
class CloseChoice:
    symbol: str
    qty: Decimal | None  # None: the whole position


class ClosePositionScreen(ConfirmScreen):
    """Close one position, whole or in part: the Quantity field defaults to all of it."""

    def __init__(self, symbol: str, held: Decimal, side: str, live: bool = False) -> None:
        super().__init__(f"Close {symbol}?", [
            f"You hold {quantity(abs(held))} {symbol} ({side}).",
            "This sends a market order to " + ("sell them." if held > 0 else "buy them back."),
        ], yes="Close", live=live)
        self.symbol = symbol
        self.held = abs(held)

    def first_focus(self) -> str:
        # Digits typed after `x` are the quantity (on the Close button they were lost, and
        # Enter then closed all of it); y, n and Esc still work, and Enter on empty is all.
        return "#close-qty"

    def extra(self) -> ComposeResult:
        yield Label("Quantity (empty = all):")
        yield QuantityField(placeholder=f"all {quantity(self.held)}", id="close-qty")
        yield Static("", id="close-error", classes="field-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def result(self) -> object:
        if not self.is_mounted:  # `y` typed right after `x`: nothing entered yet, so all of it
            return CloseChoice(self.symbol, None)
        text = self.query_one("#close-qty", Input).value.strip().replace(",", "")
        if not text:
            return CloseChoice(self.symbol, None)
        try:
            qty = Decimal(text)
        except InvalidOperation:
            qty = None
        error = ""
        if qty is None or not qty.is_finite():
            error = f"not a number: {text!r}"
        elif qty <= 0:
            error = "quantity must be more than 0"
        elif qty > self.held:
            error = f"you hold {quantity(self.held)}: close at most {quantity(self.held)}"
        if error:
            self.query_one("#close-error", Static).update(error)
            return None
        return CloseChoice(self.symbol, None if qty == self.held else qty)


@dataclass(frozen=True)
class CloseAllChoice:
    cancel_orders: bool


class CloseAllScreen(ConfirmScreen):
    """Close every position; optionally cancel the open orders first."""

    BINDINGS = [Binding("o", "toggle_orders", "Also cancel orders", priority=True)]

    def __init__(self, positions: int, open_orders: int, live: bool = False) -> None:
        super().__init__(f"Close ALL {positions} positions?", [
            "Every position is closed with a market order.",
        ], yes="Close all", bulk=True, live=live, typed="CLOSE" if live else None)
        self.open_orders = open_orders
        self.cancel_orders = False

    def extra(self) -> ComposeResult:
        yield Checkbox(f"Cancel the {self.open_orders} open orders first \\[o]", self.cancel_orders,
                       id="cancel-orders")

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.cancel_orders = event.value

    def action_toggle_orders(self) -> None:
        if self.typed:
            raise SkipAction()  # typing the word: Tab reaches the checkbox instead
        self.cancel_orders = not self.cancel_orders
        if self.is_mounted:
            self.query_one("#cancel-orders", Checkbox).value = self.cancel_orders

    def result(self) -> object:
        return CloseAllChoice(self.cancel_orders)
