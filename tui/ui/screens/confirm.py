"""Confirmations: `y` confirms, `n` or Esc cancels, and every path dismisses with a value.

Bulk actions open with the focus on Cancel, so a stray Enter does nothing harmful. On a
live account they ask for a typed word instead of `y`: a reflex cannot close everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from rich.text import Text

from textual.app import ComposeResult
from textual.binding import Binding

from .. import keymap
from textual.containers import Horizontal, Vertical
from textual.actions import SkipAction
from textual.screen import ModalScreen
from textual.message import Message
from textual.widgets import Footer, Button, Input, Label, Static

from ...text import clean
from ..format import quantity


class Tick(Static, can_focus=True):
    """An on/off box that reads the same without colour: `[x] text` or `[ ] text`."""

    BINDINGS = [Binding("space,enter", "toggle", "Toggle", show=False)]

    class Changed(Message):
        def __init__(self, tick: Tick, value: bool) -> None:
            super().__init__()
            self.tick = tick
            self.value = value

    def __init__(self, label: str, value: bool = False, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.label = label
        self.value = value
        self.update(self._line())

    def _line(self) -> Text:
        return Text(("[x] " if self.value else "[ ] ") + self.label)

    def toggle(self) -> None:
        self.value = not self.value
        self.update(self._line())
        self.post_message(self.Changed(self, self.value))

    def action_toggle(self) -> None:
        self.toggle()

    def on_click(self) -> None:
        self.toggle()


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no. Dismisses True only on `y` or the Yes button."""

    BINDINGS = keymap.bindings(keymap.CONFIRM)

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
            # Titles and lines hold server text (an order's symbol): plain Text, cleaned of
            # escape sequences and control characters, never markup.
            yield Label(Text(clean(self.title_text, one_line=True)), id="dialog-title")
            if self.live:
                yield Label("LIVE ACCOUNT — real money", classes="live-warning")
            for line in self.lines:
                yield Static(Text(clean(line)), classes="dialog-line", markup=False)
            yield from self.extra()
            if self.typed:
                yield Label(f"Type {self.typed} and press Enter to confirm.", id="typed-hint")
                yield Input(placeholder=self.typed, id="typed")
            with Horizontal(id="dialog-buttons"):
                yield Button(Text(f"{self.yes} [y]"), id="yes", variant="error" if self.bulk else "primary")
                yield Button(Text("Cancel [n]"), id="no")
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


@dataclass(frozen=True)
class CloseChoice:
    """All of a position (qty and percentage None), `qty` shares of it, or `percentage` %."""

    symbol: str
    qty: Decimal | None = None
    percentage: Decimal | None = None

    @property
    def label(self) -> str:
        if self.qty is not None:
            return f"CLOSE {quantity(self.qty)} {self.symbol}"
        if self.percentage is not None:
            return f"CLOSE {quantity(self.percentage)}% of {self.symbol}"
        return f"CLOSE all {self.symbol}"


# ASCII digits only: \d would also take "٣", which Decimal reads as 3.
AMOUNT = re.compile(r"([0-9]+(\.[0-9]*)?|\.[0-9]+)")
GROUPED = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?")
QTY_STEP = Decimal("1e-9")
HOW_TO = "type a quantity, a percentage like 25%, or all"


def parse_close(text: str, symbol: str, held: Decimal) -> CloseChoice | str:
    """What the user typed in the close dialog, or why it is not a close: a quantity
    (at most what is held, 9 decimals), a percentage (`25%`, 0 < p <= 100) or `all`.
    Nothing else means anything: not an empty field, not `half`, not `-3` or `1e1`."""
    entry = text.strip()
    if not entry:
        return HOW_TO
    if entry.lower() == "all":
        return CloseChoice(symbol)
    percent = entry.endswith("%")
    number = entry[:-1].strip() if percent else entry
    if GROUPED.fullmatch(number):
        number = number.replace(",", "")
    if not AMOUNT.fullmatch(number):
        return f"not a quantity: {entry!r} ({HOW_TO})"
    value = Decimal(number)
    if value <= 0:
        return "must be more than 0"
    if value != value.quantize(QTY_STEP):
        return "at most 9 decimals"
    if percent:
        if value > 100:
            return "a percentage is at most 100%"
        return CloseChoice(symbol) if value == 100 else CloseChoice(symbol, percentage=value)
    if value > held:
        return f"you hold {quantity(held)}: close at most {quantity(held)}"
    return CloseChoice(symbol) if value == held else CloseChoice(symbol, qty=value)


class AmountField(Input):
    """Takes any text (the dialog explains what it cannot read), except `y` and `n` on an
    empty field: those are the dialog's keys (confirm, which then asks for an amount; cancel)."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if character is not None and character in "yYnN" and not self.value:
            return False
        return character is not None and character.isprintable()


class ClosePositionScreen(ConfirmScreen):
    """Close one position, in part or whole: the field takes a quantity, a percentage or
    `all`. Closing all of it is always typed: an empty or unreadable field sends nothing."""

    def __init__(self, symbol: str, held: Decimal, side: str, live: bool = False) -> None:
        super().__init__(f"Close {symbol}?", [
            f"You hold {quantity(abs(held))} {symbol} ({side}).",
            "This sends a market order to " + ("sell them." if held > 0 else "buy them back."),
        ], yes="Close", live=live)
        self.symbol = symbol
        self.held = abs(held)

    def first_focus(self) -> str:
        return "#close-qty"  # what is typed after `x` is the amount

    def extra(self) -> ComposeResult:
        yield Label("Amount: a quantity, a percentage (25%) or all")
        yield AmountField(placeholder=f"e.g. {quantity(self.held)}, 25% or all", id="close-qty")
        yield Static("", id="close-error", classes="field-error")

    def _entry(self) -> str:
        return self.query_one("#close-qty", Input).value if self.is_mounted else ""

    def action_confirm_key(self) -> None:
        if self._entry():
            raise SkipAction()  # part of what is being typed
        self.action_confirm()

    def action_cancel_key(self) -> None:
        if self._entry():
            raise SkipAction()
        self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#close-error", Static).update("")

    def result(self) -> object:
        choice = parse_close(self._entry(), self.symbol, self.held)
        if isinstance(choice, str):
            if self.is_mounted:
                self.query_one("#close-error", Static).update(Text(f"✗ {choice}. Nothing was sent."))
            return None
        return choice


@dataclass(frozen=True)
class CloseAllChoice:
    cancel_orders: bool


class CloseAllScreen(ConfirmScreen):
    """Close every position; optionally cancel the open orders first."""

    BINDINGS = keymap.bindings(keymap.CLOSE_ALL)

    def __init__(self, positions: int, open_orders: int, live: bool = False) -> None:
        super().__init__(f"Close ALL {positions} positions?", [
            "Every position is closed with a market order.",
        ], yes="Close all", bulk=True, live=live, typed="CLOSE" if live else None)
        self.open_orders = open_orders
        self.cancel_orders = False

    def extra(self) -> ComposeResult:
        yield Tick(f"cancel the {self.open_orders} open orders first (o)", self.cancel_orders, id="cancel-orders")

    def on_tick_changed(self, event: Tick.Changed) -> None:
        self.cancel_orders = event.value

    def action_toggle_orders(self) -> None:
        if self.typed:
            raise SkipAction()  # typing the word: Tab reaches the box instead
        if self.is_mounted:
            self.query_one("#cancel-orders", Tick).toggle()
        else:
            self.cancel_orders = not self.cancel_orders

    def result(self) -> object:
        return CloseAllChoice(self.cancel_orders)
