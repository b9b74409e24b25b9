"""Between the screens and the dispatcher: opening a ticket and feeding it facts, sending
what the user confirmed, and saying what came of it.

Every send runs on a worker thread through the broker layer's Dispatcher (journaled,
safe against ambiguous failures) and comes back as an ActionDone message.
"""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Sequence

from textual.screen import Screen

from ..broker.delivery import BACKOFF, Delivery, Dispatcher, read_retrying
from ..broker.errors import Problem, describe
from ..broker.journal import JournalError
from ..broker.order_events import TERMINAL
from ..broker.ticket import AssetFacts, Holding, OrderPlan, Quote, Review, ReviewFacts
from ..numbers import number
from ..state.account import AccountState
from ..state.orders import Following
from ..state.slippage import ShownQuote, shown_quote
from ..text import clean, is_symbol, show_symbol
from . import toasts
from .format import dec, enum_text, quantity
from .messages import ActionDone, JournalSettled, TicketFacts
from .screens.confirm import CloseAllChoice, CloseAllScreen, CloseChoice, ClosePositionScreen, ConfirmScreen
from .screens.ticket import Approved, TicketScreen
from .widgets.orders import OrdersPane
from .widgets.positions import PositionsTable
from .widgets.watchlist import WatchlistTable

if TYPE_CHECKING:
    from .app import AlpacaApp


class OrderFlow:
    """The app's order actions; the ticket's TicketDesk."""

    def __init__(self, app: AlpacaApp, state: AccountState, backoff: Sequence[float] = BACKOFF,
                 dispatcher_factory: Callable[..., Dispatcher] = Dispatcher) -> None:
        """backoff: pauses between tries, for sends and the ticket's lookups (tests shorten
        them). dispatcher_factory(broker, journal, backoff=…) makes the Dispatcher."""
        self.app, self.state = app, state
        self.following = Following()
        self.backoff = tuple(backoff)
        self._dispatcher_factory = dispatcher_factory
        self._dispatcher: Dispatcher | None = None
        self._lock = threading.Lock()

    @property
    def dispatcher(self) -> Dispatcher:
        with self._lock:  # made on first use, by whichever worker gets there first
            if self._dispatcher is None:
                self._dispatcher = self._dispatcher_factory(self.app.broker, self.app.journal, backoff=self.backoff)
            return self._dispatcher

    # ---- the ticket (TicketDesk) ----

    def open_ticket(self, side: str, symbol: str | None = None) -> None:
        """symbol: the detail screen's; else the selected row's."""
        symbol = symbol if symbol is not None and is_symbol(symbol) else self._selected_symbol()

        def closed(approved: Approved | None) -> None:
            self.app.market.look_at("ticket", None)
            if approved is not None:
                self.send_order(approved.plan, approved.outlook)

        self.app.push_screen(TicketScreen(side, symbol, live=self.app.config.live, desk=self), closed)

    def _selected_symbol(self) -> str:
        """The selected order's (when the orders pane has the focus), watchlist row's (when
        it has) or position's symbol, if it is one that can be traded."""
        pane = self.app.main.query_one(OrdersPane)
        watchlist = self.app.main.query_one(WatchlistTable)
        if pane.has_focus_within and pane.selected_order is not None:
            symbol = pane.selected_order.symbol or ""
        elif watchlist.has_focus:
            symbol = watchlist.selected_symbol or ""
        else:
            symbol = self.app.main.query_one(PositionsTable).selected_symbol or ""
        return symbol if is_symbol(symbol) else ""

    def holding(self, symbol: str) -> Holding:
        return self.state.holding(symbol)

    def review_facts(self, plan: OrderPlan) -> ReviewFacts:
        return self.state.review_facts(plan)

    def now(self) -> Any:
        return self.state.server_now()

    def request_facts(self, screen: Screen, symbol: str, quote_only: bool = False) -> None:
        if quote_only:  # the symbol was found: its quote is streamed from now on (not each prefix typed)
            self.app.market.look_at("ticket", symbol)
            live = self.app.market.live_quote(symbol)
            if live is not None:  # the stream's, fresh: no request
                screen.post_message(TicketFacts(symbol, None, True, live, quote_only=True))
                return
        fetch = self._fetch_quote if quote_only else self._fetch_facts
        self.app.run_worker(partial(fetch, screen, symbol), thread=True, group="ticket",
                            name=f"{'quote' if quote_only else 'facts'} {symbol}", exit_on_error=False)

    def _fetch_quote(self, screen: Screen, symbol: str) -> None:
        try:
            bid, ask, last = self.app.broker.quote(symbol)
        except Exception:  # the last quote stays, with its age
            return
        screen.post_message(TicketFacts(symbol, None, True, Quote(bid, ask, last, at=self.now()), quote_only=True))

    def _fetch_facts(self, screen: Screen, symbol: str) -> None:
        broker = self.app.broker
        try:
            with self.app.requests.urgent():  # the user is waiting on this
                asset = read_retrying(lambda: broker.asset(symbol), backoff=self.backoff)
            if asset is None:
                screen.post_message(TicketFacts(symbol, None, False))
                return
            facts = AssetFacts(symbol, bool(asset.tradable), bool(asset.fractionable), bool(asset.shortable),
                               bool(asset.easy_to_borrow))
            quote = self.app.market.live_quote(symbol)
            try:
                if quote is None:
                    bid, ask, last = broker.quote(symbol)
                    quote = Quote(bid, ask, last, at=self.now())
            except Exception:  # a quote is nice to have; the order does not need it
                quote = None
            screen.post_message(TicketFacts(symbol, facts, True, quote))
        except Exception as err:
            screen.post_message(TicketFacts(symbol, None, True, None, describe(err)))

    # ---- sending ----

    def send_order(self, plan: OrderPlan, outlook: Review | None = None) -> None:
        """outlook: the review the user said yes to; a market order's quote on it is kept in
        the journal with the intent, to measure the fills' slippage against."""
        amount = quantity(plan.qty) if plan.qty is not None else f"${plan.notional}"
        what = f"{plan.side.upper()} {amount} {plan.symbol}"
        client_order_id = f"tui-{uuid.uuid4().hex}"  # set before the first send: the order's identity
        fields: dict[str, Any] = {k: (None if v is None else str(v)) for k, v in vars(plan).items()}
        shown = self._shown_quote(plan, outlook)
        if shown is not None:
            fields["quote"] = shown.to_record()
            self.state.slippage.sent(client_order_id, shown)
        self._run("order", what, lambda: self.dispatcher.order(plan.to_request(client_order_id), client_order_id,
                                                               fields))

    def _shown_quote(self, plan: OrderPlan, outlook: Review | None) -> ShownQuote | None:
        if plan.order_type != "market" or outlook is None or not outlook.quote_used or outlook.quote is None:
            return None
        q = outlook.quote
        return shown_quote(plan.side, plan.symbol, outlook.price, q.bid, q.ask, q.last, q.at, self.now())

    def _run(self, what: str, context: str, call: Callable[[], Delivery]) -> None:
        def run() -> None:
            try:
                delivery = call()
            except JournalError as err:  # nothing is sent without its line in the journal
                delivery = Delivery("refused", problem=Problem(f"not sent: {err}"))
            except Exception as err:
                delivery = Delivery("refused", problem=describe(err))
            self.app.post_message(ActionDone(what, delivery.result, delivery.problem, context, delivery))

        self.app.run_worker(run, thread=True, group="actions", name=f"{what} {context}", exit_on_error=False)

    # ---- close and cancel, each behind its confirmation ----

    def close_position(self) -> None:
        position = self.state.position(self.app.main.query_one(PositionsTable).selected_symbol or "")
        if position is None:
            self.app.notify("Select a position first (2 goes to Positions).", severity="warning")
            return
        if not is_symbol(position.symbol):  # shown escaped; never traded
            self.app.notify(f"{show_symbol(position.symbol)} is not a symbol this app can trade.", severity="warning")
            return
        screen = ClosePositionScreen(position.symbol, dec(position.qty) or Decimal(0), enum_text(position.side),
                                     live=self.app.config.live)

        def done(choice: CloseChoice | bool) -> None:
            if isinstance(choice, CloseChoice):
                self._run("close", choice.label, lambda: self.dispatcher.close(
                    choice.symbol, choice.qty, {"label": choice.label}, percentage=choice.percentage))

        self.app.push_screen(screen, done)

    def close_all(self) -> None:
        if not self.state.positions:
            self.app.notify("No positions to close.")
            return

        def done(choice: CloseAllChoice | bool) -> None:
            if isinstance(choice, CloseAllChoice):
                self._run("close_all", "Close all positions", lambda: self.dispatcher.close_all(choice.cancel_orders))

        self.app.push_screen(CloseAllScreen(len(self.state.positions), sum(self.state.open_order_counts()),
                                            live=self.app.config.live), done)

    def cancel_order(self) -> None:
        order = self.app.main.query_one(OrdersPane).selected_order
        if order is None:
            self.app.notify("Select an open order first (3 goes to Orders).", severity="warning")
            return
        what = f"{enum_text(order.side).upper()} {quantity(order.qty) if order.qty is not None else ''} " \
               f"{order.symbol} {enum_text(order.type or order.order_type)}"
        screen = ConfirmScreen("Cancel this order?", [what, f"id {order.id}"], yes="Cancel order",
                               live=self.app.config.live)

        def done(ok: bool) -> None:
            if ok:
                self.following.cancels.add(str(order.id))
                self._run("cancel", f"CANCEL {what}", lambda: self.dispatcher.cancel(str(order.id), {"label": what}))

        self.app.push_screen(screen, done)

    # ---- modify (replace) an open order, through the ticket and its review ----

    def modify_order(self, order: Any = None) -> None:
        """`m`: the ticket filled in from `order` (the order detail's), else the selected
        order in the Orders pane; `y` on its review sends the replace."""
        from ..broker.order_modify import refusal
        from .screens.modify import ModifyScreen
        from .screens.order_detail import parent_of

        if order is None:
            order = self.app.main.query_one(OrdersPane).selected_order
        if order is None:
            self.app.notify("Select an open order first (3 goes to Orders).", severity="warning")
            return
        order_id = str(order.id)
        parent = parent_of(self.state.orders.values(), order_id)
        current = self.state.orders.get(order_id) if parent is None else next(
            (leg for leg in self.state.orders[parent].legs or [] if str(leg.id) == order_id), None)
        order = current or order  # as the account's state has it now
        why = refusal(order)
        if why is None and not is_symbol(order.symbol or ""):
            why = f"{show_symbol(order.symbol or '')} is not a symbol this app can trade."
        if why:
            self.app.notify(why, title="Modify", severity="warning")
            return

        def closed(modification: Any) -> None:
            self.app.market.look_at("ticket", None)
            if modification is not None:
                self.send_replace(modification)

        self.app.push_screen(ModifyScreen(order, leg=parent is not None, live=self.app.config.live, desk=self),
                             closed)

    def send_replace(self, modification: Any) -> None:
        client_order_id = f"tui-{uuid.uuid4().hex}"  # the replacement's identity, set before the first send
        context = f"MODIFY {modification.label}: {modification.summary}"
        self._run("replace", context, lambda: self.dispatcher.replace(
            modification.order_id, modification.changes, client_order_id, {"label": modification.label}))

    def cancel_all(self) -> None:
        if not self.state.orders:
            self.app.notify("No open orders to cancel.")
            return
        orders, legs = self.state.open_order_counts()
        what = f"{orders} order{'s' if orders != 1 else ''}" + (
            f" and {legs} bracket leg{'s' if legs != 1 else ''} (held until their order fills)" if legs else "")
        live = self.app.config.live
        screen = ConfirmScreen(f"Cancel ALL {orders + legs} open orders?",
                               [f"Cancels {what}: the rows the Orders pane lists."],
                               yes="Cancel all", bulk=True, live=live, typed="CANCEL" if live else None)

        def done(ok: bool) -> None:
            if ok:
                self._run("cancel_all", "Cancel all orders", lambda: self.dispatcher.cancel_all())

        self.app.push_screen(screen, done)

    # ---- what came of it ----

    def done(self, message: ActionDone) -> Any | None:
        """Say what came of an action; returns the order a submit was answered with, if any."""
        problem, delivery = message.problem, message.delivery
        state = delivery.state if delivery is not None else ("refused" if problem else "done")
        if state == "unknown":
            self.app.notify(f"{message.context}: no answer from the server ({problem}). Kept in the audit journal "
                            "and checked again at the next start; the panes show what the server did.",
                            title="OUTCOME UNKNOWN", severity="warning", timeout=15)
        elif state == "refused":
            self.reject(message.context or message.what, problem or Problem("refused"))
        else:
            return self._report(message, delivery.notes if delivery is not None else [])
        return None

    def _report(self, message: ActionDone, notes: list[str]) -> Any | None:
        checked = f" ({notes[-1]})" if notes else ""  # the answer was lost and found again
        self.app.rejection_seen()  # a later success: the last rejection is history (e lists it)
        result, context = message.result, message.context
        if message.what == "order":
            self.state.slippage.link(getattr(result, "client_order_id", None), result.id)
            status = enum_text(result.status)
            if status not in TERMINAL:  # followed to its end: the fill or the end is said too
                self.following.sent[str(result.id)] = context
            self.app.notify(f"{context}: order {toasts.short_id(result.id)} is {status}{checked}", title="Order sent")
            return result
        if message.what in ("close_all", "cancel_all"):
            self._report_bulk(message)
        elif message.what == "close":
            self.following.sent[str(result.id)] = context
            self.app.notify(f"{context}: closing order {toasts.short_id(result.id)} sent{checked}", title="Closing")
        elif message.what == "cancel":
            self.app.notify(f"{context}: cancel requested{checked}", title="Cancel")
        elif message.what == "replace":
            status = enum_text(result.status)
            if status not in TERMINAL:
                self.following.sent[str(result.id)] = context
            self.app.notify(f"new order {toasts.short_id(result.id)} is {status}{checked} · {context}",
                            title="Order modified")
            return result
        return None

    def _report_bulk(self, message: ActionDone) -> None:
        results = message.result or []
        failed = []
        for item in results:
            status = whole(getattr(item, "status", 200))
            if status is None or status >= 300:  # unreadable counts as refused: never as done
                symbol = getattr(item, "symbol", None)
                label = show_symbol(symbol) if symbol else toasts.short_id(getattr(item, "id", ""))
                failed.append((label, getattr(item, "body", None)))
        noun = "positions closing" if message.what == "close_all" else "orders canceled"
        self.app.notify(f"{len(results) - len(failed)} {noun}" + (f", {len(failed)} refused" if failed else ""),
                        title=message.context, severity="warning" if failed else "information")
        for label, body in failed:
            code = getattr(body, "code", None) if body is not None else None
            text = getattr(body, "message", None) if body is not None else None
            if isinstance(body, dict):
                code, text = body.get("code"), body.get("message")
            self.reject(f"{message.context}: {label}", Problem(clean(text or "refused", one_line=True), None,
                                                                whole(code)))

    def reject(self, context: str, problem: Problem) -> None:
        self.state.rejections.append((self.now(), context, problem))
        self.app.rejection_shown(problem)
        self.app.notify(f"{context}: {problem}", title="REJECTED", severity="error", timeout=8)

    def settled(self, message: JournalSettled) -> None:
        """Intents an earlier run left without an outcome, and what the server said of them."""
        if message.problem:
            self.app.notify(f"The audit journal could not be checked: {message.problem}", severity="warning")
            return
        lines = [f"{intent_label(intent) or intent.get('action', '?').upper()}: {toasts.short_ids(answer)}"
                 for intent, answer in message.settled]
        if len(lines) > 2:  # a toast has two lines; the journal has every answer
            lines = [lines[0], f"… and {len(lines) - 1} more (see the audit journal)"]
        self.app.notify("\n".join(lines), title=f"{len(message.settled)} action(s) from the last run had no "
                        "recorded outcome", severity="warning", timeout=30)

    def read_quotes(self) -> None:
        """On a worker thread: the quotes earlier runs sent market orders at, from the
        journal, so their fills' slippage is known after a restart."""
        from ..state.slippage import SlippageBook

        journal = self.app.journal
        if journal is None:
            return
        try:
            book = SlippageBook.from_journal(journal.history())
        except Exception:  # unreadable: slippage is unknown for old orders, nothing worse
            return
        if len(book):
            self.state.slippage.merge(book)
            try:
                self.app.call_from_thread(self.app.slippage_known)
            except Exception:  # the app is closing: nothing to show it on
                pass

    def settle_journal(self) -> None:
        """On a worker thread: ask the server what became of the journal's open intents."""
        try:
            settled = self.dispatcher.settle_pending()
        except Exception as err:  # an unreadable journal must not stop the app
            self.app.post_message(JournalSettled([], str(describe(err))))
            return
        if settled:
            self.app.post_message(JournalSettled(settled, None))


def whole(value: Any) -> int | None:
    """A whole number from the server (a status, an error code), or None if it is not one."""
    figure = number(value, Decimal(10) ** 12)
    return int(figure) if figure is not None and figure == figure.to_integral_value() else None


def intent_label(intent: dict[str, Any]) -> str:
    what = intent.get("what") or {}
    if intent.get("action") == "order":
        amount = what.get("qty") or (f"${what['notional']}" if what.get("notional") else "")
        return f"{str(what.get('side', '')).upper()} {amount} {what.get('symbol', '')}".strip()
    return str(what.get("label") or what.get("symbol") or what.get("order_id") or "")
