"""Messages that cross from worker threads (and the stream thread) to the UI thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from ..broker.errors import Problem


@dataclass
class Fetched(Message):
    """A background read finished: `data` on success, `problem` on failure."""

    resource: str  # the fetch's name (tui/ui/refresh.py FETCHES)
    data: Any = None  # its loader's payload (tui/state/loaders.py)
    problem: Problem | None = None


@dataclass
class TradeUpdate(Message):
    """One trade_updates event (the message's `data` dict) and its order, parsed (None if
    it could not be)."""

    data: dict
    order: Any = None


@dataclass
class StreamChanged(Message):
    state: str
    detail: str = ""


@dataclass
class ActionDone(Message):
    """A user action (order, cancel, close) came back from the server."""

    what: str  # "order", "cancel", "cancel_all", "close", "close_all"
    result: Any = None
    problem: Problem | None = None
    context: str = ""  # e.g. "BUY 10 AAPL"
    delivery: Any = None  # the broker layer's Delivery: done / refused / unknown, and how we know


@dataclass
class TicketFacts(Message):
    """What the ticket needs to know about its symbol: asset facts and a quote."""

    symbol: str
    asset: Any = None  # tui.broker.ticket.AssetFacts, or None if unknown to the server
    found: bool = True
    quote: Any = None  # tui.broker.ticket.Quote
    problem: Problem | None = None
    quote_only: bool = False  # a refresh of the quote alone (asset and found not looked up)


@dataclass
class JournalSettled(Message):
    """Journaled intents from an earlier run, with what the server says became of each."""

    settled: list[tuple[dict[str, Any], str]]
    problem: str | None


@dataclass
class Ticks(Message):
    """A frame of the market-data stream, parsed on its thread (tui.broker.market ticks)."""

    ticks: list
    received: float  # monotonic


@dataclass
class DataStreamChanged(Message):
    state: str
    detail: str = ""


@dataclass
class Subscribed(Message):
    """The data stream's server acknowledged a new set of symbols."""

    streamed: tuple


@dataclass
class MarketAnswer(Message):
    """A market-data read or a watchlist change came back: `what` says which, `data` is its
    result on success, `problem` on failure."""

    what: str  # "assets", "bars", "watchlist"
    data: Any = None
    problem: Problem | None = None
    context: Any = None  # what was asked (a timeframe, a symbol, an action's words)


@dataclass
class SymbolChosen(Message):
    """Enter on a position or watchlist row: open the symbol's detail screen."""

    symbol: str


@dataclass
class HistoryPage(Message):
    """A page of the Orders pane's closed or all view came back (ui/order_history.py)."""

    generation: int  # which view and filter asked for it
    orders: list[Any]
    more: bool  # a full page: another may follow
    problem: str | None = None
