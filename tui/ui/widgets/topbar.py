"""The top bar: the DEMO / PAPER / LIVE badge, never dropped, and where the app is connected."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ..format import DOWN

from ...config import Config, Mode

BADGE_STYLES = {Mode.DEMO: "bold reverse cyan", Mode.PAPER: "bold reverse yellow", Mode.LIVE: "bold white on red"}


class TopBar(Static):
    def __init__(self, config: Config, **kwargs) -> None:
        super().__init__(self._line(config), **kwargs)

    @staticmethod
    def _line(config: Config) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f" {config.mode.value} ", style=BADGE_STYLES[config.mode])
        if config.live:
            line.append(" REAL MONEY", style=f"bold {DOWN}")
        line.append("  alpaca-tui", style="bold")
        where = "simulated account" if config.mode is Mode.DEMO else config.base_url.split("://", 1)[-1]
        line.append(f"  {where}", style="dim")
        line.append("   ? help", style="dim")
        return line
