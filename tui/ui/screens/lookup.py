"""Find a symbol (`/`): type a symbol or part of a company's name, pick from the matches.

The asset list is read once a New York day (tui/ui/market.py). An Enter typed before it has
come waits for it, so `/ A A P L Enter` in one burst opens what typing it slowly opens.
The same screen picks the symbol to add to a watchlist (`a`).
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...broker.market import AssetInfo
from ...text import SYMBOL, clean
from .. import keymap
from ..format import WARN

SHOWN = 12  # matches listed
MAX_TYPED = 40  # characters: a name fragment, not an essay


class LookupDesk(Protocol):
    def with_assets(self, then: Callable[[tuple[AssetInfo, ...] | None, Any], None]) -> None:
        """Call `then(assets, problem)` on the UI thread, now or once they are read."""


def matches(assets: Sequence[AssetInfo], typed: str, limit: int = SHOWN) -> list[AssetInfo]:
    """The exact symbol first, then symbols that start with the text, then names that
    contain it (whole words first); tradable before not."""
    text = typed.strip().upper()
    if not text:
        return []
    ranked: list[tuple[tuple[int, int, str], AssetInfo]] = []
    for asset in assets:
        symbol, name = asset.symbol.upper(), asset.name.upper()
        if symbol == text:
            rank = 0
        elif symbol.startswith(text):
            rank = 1
        elif f" {text}" in f" {name}":
            rank = 2
        elif text in name:
            rank = 3
        else:
            continue
        ranked.append(((rank, 0 if asset.tradable else 1, len(symbol), symbol), asset))
    ranked.sort(key=lambda item: item[0])
    return [asset for _, asset in ranked[:limit]]


def option_text(asset: AssetInfo) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"{clean(asset.symbol, one_line=True):<8}", style="bold")
    line.append(" " + clean(asset.name, one_line=True, limit=60))
    line.append(f" · {clean(asset.exchange, one_line=True, limit=12)}", style="dim")
    if not asset.tradable:
        line.append(" · not tradable", style=WARN)
    return line


class LookupScreen(ModalScreen[str | None]):
    """Dismisses with the chosen symbol, or None."""

    BINDINGS = keymap.bindings(keymap.LOOKUP)

    def __init__(self, desk: LookupDesk, title: str = "Find a symbol") -> None:
        super().__init__()
        self.desk = desk
        self.title_text = title
        self.assets: tuple[AssetInfo, ...] | None = None
        self.found: list[AssetInfo] = []
        self.waiting = False  # Enter came before the asset list
        self.problem = ""  # why there is no asset list (kept on screen while typing)

    def compose(self) -> ComposeResult:
        with Vertical(id="lookup"):
            yield Label(Text(self.title_text), id="dialog-title")
            yield Input(placeholder="symbol or company name", id="lookup-input", max_length=MAX_TYPED)
            yield OptionList(id="lookup-matches")
            yield Static(Text("reading the asset list…", style="dim"), id="lookup-note")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self.desk.with_assets(self._assets)

    def _assets(self, assets: tuple[AssetInfo, ...] | None, problem: Any) -> None:
        if not self.is_attached:
            return
        if assets is None:
            self.problem = f"cannot read the asset list: {problem}. Type a whole symbol and press Enter."
            self.assets = ()
        else:
            self.assets = assets
            self._note("")
        self._refilter()
        if self.waiting:
            self.waiting = False
            self.action_open()

    def _note(self, text: str, style: str = "dim") -> None:
        self.query_one("#lookup-note", Static).update(Text(clean(text), style=style))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._refilter()

    def _refilter(self) -> None:
        typed = self.query_one(Input).value
        self.found = matches(self.assets or (), typed)
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(option_text(asset), id=asset.symbol) for asset in self.found])
        if self.found:
            options.highlighted = 0
        if self.problem:
            self._note(self.problem, WARN)  # no list to match against: what to do instead
        elif self.assets is not None:
            if typed.strip() and not self.found:
                self._note(f"nothing matches {typed.strip()!r}", WARN)
            else:
                self._note("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_open()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.dismiss(event.option.id)

    def action_move(self, by: int) -> None:
        options = self.query_one(OptionList)
        if self.found:
            current = options.highlighted if options.highlighted is not None else -by
            options.highlighted = max(0, min(len(self.found) - 1, current + by))

    def action_open(self) -> None:
        typed = self.query_one(Input).value.strip()
        if not typed:
            self._note("type a symbol or part of a company's name", WARN)
            return
        if self.assets is None:
            self.waiting = True  # decided when the list comes: the same as typing slowly
            self._note("reading the asset list…")
            return
        options = self.query_one(OptionList)
        index = options.highlighted
        if self.found and index is not None and 0 <= index < len(self.found):
            self.dismiss(self.found[index].symbol)
        elif not self.assets and SYMBOL.fullmatch(typed.upper()):
            self.dismiss(typed.upper())  # no list to check against: the symbol as typed, checked where used
        else:
            self._note(f"nothing matches {typed!r}", WARN)

    def action_cancel(self) -> None:
        self.dismiss(None)
