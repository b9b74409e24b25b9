"""The trade_updates websocket (docs/api-facts.md §7): raw protocol, then alpaca-py's TradingStream."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from alpaca.data.requests import StockLatestQuoteRequest
from alpaca.trading.enums import OrderClass, OrderSide, TimeInForce
from alpaca.trading.models import TradeUpdate
from alpaca.trading.requests import (
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopLossRequest,
    TakeProfitRequest,
)
from alpaca.trading.stream import TradingStream
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tui.sim.fmt import NY

from .conftest import KEY, SECRET, wait_for

# The event names of docs/api-facts.md §7: a strict client knows no others.
EVENTS = {
    "new", "fill", "partial_fill", "canceled", "expired", "done_for_day", "replaced", "rejected",
    "pending_new", "pending_cancel", "pending_replace", "accepted", "stopped", "calculated", "suspended",
    "order_cancel_rejected", "order_replace_rejected",
}
AUTH_V1 = {"action": "authenticate", "data": {"key_id": KEY, "secret_key": SECRET}}
AUTH_V2 = {"action": "auth", "key": KEY, "secret": SECRET}
LISTEN = {"action": "listen", "data": {"streams": ["trade_updates"]}}


async def recv_json(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    """The next frame, which must be JSON in a binary frame as the paper stream sends."""
    frame = await asyncio.wait_for(ws.recv(), timeout)
    assert isinstance(frame, bytes), f"expected a binary frame, got text {frame!r}"
    return json.loads(frame)


async def listening(url: str, auth: dict[str, Any] = AUTH_V1) -> ClientConnection:
    ws = await connect(url)
    await ws.send(json.dumps(auth))
    assert (await recv_json(ws))["data"]["status"] == "authorized"
    await ws.send(json.dumps(LISTEN))
    assert (await recv_json(ws))["stream"] == "listening"
    return ws


async def events_until(ws: ClientConnection, done, timeout: float = 5.0) -> list[dict[str, Any]]:
    """trade_updates data payloads, up to and including the first one `done` accepts."""
    seen: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await recv_json(ws, max(0.01, deadline - loop.time()))
        assert message["stream"] == "trade_updates"
        seen.append(message["data"])
        if done(message["data"]):
            return seen


# ---- raw protocol ------------------------------------------------------------------------

@pytest.mark.parametrize("auth", [AUTH_V1, AUTH_V2], ids=["authenticate", "auth"])
async def test_authorization_reply_is_the_first_frame(sim, auth):
    async with connect(sim.stream_url) as ws:
        with pytest.raises(asyncio.TimeoutError):  # the server speaks only when spoken to
            await asyncio.wait_for(ws.recv(), 0.3)
        await ws.send(json.dumps(auth))
        assert await recv_json(ws) == {
            "stream": "authorization", "data": {"status": "authorized", "action": "authenticate"},
        }


async def test_listen_is_acknowledged(sim):
    async with connect(sim.stream_url) as ws:
        await ws.send(json.dumps(AUTH_V1))
        await recv_json(ws)
        await ws.send(json.dumps(LISTEN))
        assert await recv_json(ws) == {"stream": "listening", "data": {"streams": ["trade_updates"]}}


async def test_text_frames_from_the_client_are_understood(sim):
    async with connect(sim.stream_url) as ws:
        await ws.send(json.dumps(AUTH_V2).encode())  # binary from the client works too
        assert (await recv_json(ws))["data"]["status"] == "authorized"
        await ws.send(json.dumps(LISTEN))
        assert (await recv_json(ws))["data"]["streams"] == ["trade_updates"]


async def test_no_events_before_listen(sim):
    async with connect(sim.stream_url) as ws:
        await ws.send(json.dumps(AUTH_V1))
        await recv_json(ws)
        sim.client.submit_order(MarketOrderRequest(symbol="KO", qty=1, side=OrderSide.BUY,
                                                   time_in_force=TimeInForce.DAY))
        wait_for(lambda: sim.client.get_all_positions())
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.2)


async def test_order_events_arrive_as_binary_json(sim):
    ws = await listening(sim.stream_url)
    async with ws:
        order = sim.client.submit_order(MarketOrderRequest(symbol="AAPL", qty=2, side=OrderSide.BUY,
                                                           time_in_force=TimeInForce.DAY))
        seen = await events_until(ws, lambda d: d["event"] == "fill")
    assert [d["event"] for d in seen] == ["pending_new", "new", "fill"]
    assert {d["order"]["id"] for d in seen} == {str(order.id)}
    fill = seen[-1]
    assert fill["qty"] == "2" and fill["position_qty"] == "2"
    assert fill["order"]["status"] == "filled" and fill["order"]["filled_qty"] == "2"
    assert fill["execution_id"] and fill["timestamp"].endswith(("-04:00", "-05:00"))


async def test_wrong_keys_are_refused_and_the_socket_closes(make_sim):
    sim = make_sim(api_key=KEY, secret_key=SECRET)
    async with connect(sim.stream_url) as ws:
        await ws.send(json.dumps({"action": "authenticate", "data": {"key_id": KEY, "secret_key": "nope"}}))
        assert (await recv_json(ws))["data"] == {"status": "unauthorized", "action": "authenticate"}
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
    async with connect(sim.stream_url) as ws:  # the right keys still work
        await ws.send(json.dumps(AUTH_V2))
        assert (await recv_json(ws))["data"]["status"] == "authorized"


async def test_first_message_must_authenticate(sim):
    async with connect(sim.stream_url) as ws:
        await ws.send(json.dumps(LISTEN))
        assert (await recv_json(ws))["data"]["status"] == "unauthorized"
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)


async def test_a_client_leaving_before_authenticating_is_no_server_error(sim, caplog):
    sockets = sim.background.simulator.sockets
    with caplog.at_level(logging.ERROR):
        ws = await connect(sim.stream_url)
        wait_for(lambda: len(sockets) == 1)
        await ws.close()
        wait_for(lambda: not sockets)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    ws = await listening(sim.stream_url)
    await ws.close()


async def test_one_connection_per_key(sim):
    first = await listening(sim.stream_url)
    async with connect(sim.stream_url) as second:
        await second.send(json.dumps(AUTH_V1))
        reply = await recv_json(second)
        assert reply["data"]["status"] == "unauthorized"
        assert reply["data"]["message"] == "connection limit exceeded"
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(second.recv(), 5)
    async with connect(sim.stream_url) as other_key:  # the limit is per key id
        await other_key.send(json.dumps({"action": "auth", "key": "another", "secret": "x"}))
        assert (await recv_json(other_key))["data"]["status"] == "authorized"
    await first.close()

    async def reconnects() -> bool:
        async with connect(sim.stream_url) as ws:
            await ws.send(json.dumps(AUTH_V1))
            return (await recv_json(ws))["data"]["status"] == "authorized"

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while not await reconnects():  # the server notices the close a moment later
        assert loop.time() < deadline, "the slot was not released after the first connection closed"
        await asyncio.sleep(0.05)


async def test_refused_connections_do_not_use_up_the_slot(make_sim):
    sim = make_sim(api_key=KEY, secret_key=SECRET)
    for _ in range(3):
        async with connect(sim.stream_url) as ws:
            await ws.send(json.dumps({"action": "auth", "key": KEY, "secret": "wrong"}))
            assert (await recv_json(ws))["data"]["status"] == "unauthorized"
    ws = await listening(sim.stream_url)
    await ws.close()


async def test_canceled_and_replaced_events(sim):
    ws = await listening(sim.stream_url)
    async with ws:
        order = sim.client.submit_order(LimitOrderRequest(symbol="MSFT", qty=3, side=OrderSide.BUY, limit_price=1,
                                                          time_in_force=TimeInForce.GTC))
        await events_until(ws, lambda d: d["event"] == "new")
        new = sim.client.replace_order_by_id(order.id, ReplaceOrderRequest(qty=4, limit_price=2))
        seen = await events_until(ws, lambda d: d["order"]["id"] == str(new.id))
        replaced = next(d for d in seen if d["event"] == "replaced")
        assert replaced["order"]["id"] == str(order.id)
        assert replaced["order"]["status"] == "replaced" and replaced["order"]["replaced_by"] == str(new.id)
        assert seen[-1]["order"]["replaces"] == str(order.id) and seen[-1]["order"]["qty"] == "4"
        assert seen[-1]["event"] in EVENTS
        sim.client.cancel_order_by_id(new.id)
        canceled = (await events_until(ws, lambda d: d["event"] == "canceled"))[-1]
    assert canceled["order"]["id"] == str(new.id)
    assert canceled["order"]["status"] == "canceled" and canceled["order"]["canceled_at"]


@pytest.mark.parametrize("market,start,seconds", [
    ("nyse", datetime(2026, 3, 11, 15, 0, tzinfo=NY), 3601),  # DAY ends at the 16:00 close
    ("always-open", datetime(2026, 3, 11, 23, 59, tzinfo=NY), 61),  # or at New York midnight
])
async def test_expired_event_at_the_end_of_the_day(make_sim, market, start, seconds):
    sim = make_sim(start_at=start, market=market)
    ws = await listening(sim.stream_url)
    async with ws:
        order = sim.client.submit_order(LimitOrderRequest(symbol="JPM", qty=1, side=OrderSide.BUY, limit_price=5,
                                                          time_in_force=TimeInForce.DAY))
        sim.advance(1)
        await events_until(ws, lambda d: d["event"] == "new")
        sim.advance(seconds)
        expired = (await events_until(ws, lambda d: d["event"] == "expired"))[-1]
    assert expired["order"]["id"] == str(order.id)
    assert expired["order"]["status"] == "expired" and expired["order"]["expired_at"]


async def test_partial_fill_events(make_sim):
    sim = make_sim(partial_fills=True)  # Alpaca's ~1 in 10; the seed makes it repeatable
    ws = await listening(sim.stream_url)
    async with ws:
        for _ in range(40):
            sim.client.submit_order(MarketOrderRequest(symbol="KO", qty=10, side=OrderSide.BUY,
                                                       time_in_force=TimeInForce.DAY))
        seen = await events_until(ws, lambda d: d["event"] == "partial_fill")
        partial = seen[-1]
        rest = await events_until(ws, lambda d: d["event"] == "fill" and d["order"]["id"] == partial["order"]["id"])
    assert partial["order"]["status"] == "partially_filled"
    assert Decimal(partial["qty"]) < 10 and partial["order"]["filled_qty"] == partial["qty"]
    assert Decimal(partial["qty"]) + Decimal(rest[-1]["qty"]) == 10
    assert rest[-1]["order"]["filled_qty"] == "10"
    position = Decimal(0)  # position_qty is the position after each execution, in order
    for d in seen + rest:
        if d["event"] in ("fill", "partial_fill"):
            position += Decimal(d["qty"])
            assert Decimal(d["position_qty"]) == position


async def bracket_lifecycle(sim) -> tuple[Any, set[str], list[dict[str, Any]]]:
    """A market bracket buy, and every event until both exit legs are working."""
    ws = await listening(sim.stream_url)
    async with ws:
        order = sim.client.submit_order(MarketOrderRequest(
            symbol="AAPL", qty=5, side=OrderSide.BUY, time_in_force=TimeInForce.GTC, order_class=OrderClass.BRACKET,
            take_profit=TakeProfitRequest(limit_price=10000), stop_loss=StopLossRequest(stop_price=1),
        ))
        legs = {str(leg.id) for leg in order.legs}
        seen: list[dict[str, Any]] = []
        while not all(any(d["event"] == "new" and d["order"]["id"] == leg for d in seen) for leg in legs):
            seen += await events_until(ws, lambda d: True)
    return order, legs, seen


async def test_bracket_legs_are_held_until_the_entry_fills(sim):
    order, legs, seen = await bracket_lifecycle(sim)
    assert len(legs) == 2 and {leg.status for leg in order.legs} == {"held"}
    first = seen[0]
    assert first["order"]["id"] == str(order.id) and first["event"] == "pending_new"
    assert {leg["id"]: leg["status"] for leg in first["order"]["legs"]} == dict.fromkeys(legs, "held")
    parent_fill = next(i for i, d in enumerate(seen) if d["event"] == "fill" and d["order"]["id"] == str(order.id))
    leg_news = [i for i, d in enumerate(seen) if d["event"] == "new" and d["order"]["id"] in legs]
    assert len(leg_news) == 2 and all(i > parent_fill for i in leg_news)
    assert all(seen[i]["order"]["status"] == "new" and seen[i]["order"]["qty"] == "5" for i in leg_news)


async def test_bracket_events_are_all_protocol_events(sim):
    _order, _legs, seen = await bracket_lifecycle(sim)
    assert [d["event"] for d in seen if d["event"] not in EVENTS] == []


# ---- alpaca-py's TradingStream ------------------------------------------------------------

class StreamThread:
    """alpaca-py's TradingStream on its own thread, collecting parsed updates."""

    def __init__(self, url: str) -> None:
        self.stream = TradingStream(KEY, SECRET, url_override=url)
        self.updates: list[Any] = []
        self.stream.subscribe_trade_updates(self._on_update)
        self.thread = threading.Thread(target=self.stream.run, daemon=True)

    async def _on_update(self, update: Any) -> None:
        self.updates.append(update)

    def start(self, sim) -> StreamThread:
        self.thread.start()
        # Connected once the server counts the stream's authenticated socket.
        wait_for(lambda: sim.call(lambda: sim.background.simulator.streams.get(KEY, 0)) == 1)
        return self

    def stop(self) -> None:
        self.stream.stop()
        # Closing the socket wakes its 5 s receive loop, so it sees the stop at once.
        asyncio.run_coroutine_threadsafe(self.stream.close(), self.stream._loop).result(timeout=5)
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


@pytest.fixture
def stream_of(request):
    started: list[StreamThread] = []

    def start(sim) -> StreamThread:
        thread = StreamThread(sim.stream_url).start(sim)
        started.append(thread)
        return thread

    yield start
    for thread in started:
        thread.stop()


def test_trading_stream_parses_a_market_order_lifecycle(sim, stream_of):
    stream = stream_of(sim)
    ask = sim.data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols="NVDA"))["NVDA"].ask_price
    order = sim.client.submit_order(MarketOrderRequest(symbol="NVDA", qty=7, side=OrderSide.BUY,
                                                       time_in_force=TimeInForce.DAY))
    wait_for(lambda: any(u.event == "fill" for u in stream.updates))
    updates = stream.updates
    assert all(isinstance(u, TradeUpdate) for u in updates)
    assert [u.event for u in updates] == ["pending_new", "new", "fill"]
    assert all(u.order.id == order.id for u in updates)
    fill = updates[-1]
    assert fill.price == ask and fill.qty == 7 and fill.position_qty == 7
    assert fill.order.filled_qty == "7" and float(fill.order.filled_avg_price) == ask
    assert fill.timestamp.utcoffset() is not None


def test_trading_stream_sees_a_sell_take_the_position_down(sim, stream_of):
    stream = stream_of(sim)
    for qty, side in ((10, OrderSide.BUY), (4, OrderSide.SELL)):
        sim.client.submit_order(MarketOrderRequest(symbol="PEP", qty=qty, side=side, time_in_force=TimeInForce.DAY))
        wait_for(lambda: any(u.event == "fill" and u.order.side == side for u in stream.updates))
    fills = [u for u in stream.updates if u.event == "fill"]
    assert [(f.qty, f.position_qty) for f in fills] == [(10, 10), (4, 6)]
    bid = sim.data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols="PEP"))["PEP"].bid_price
    assert fills[1].price == bid


def test_trading_stream_parses_every_kind_of_event(make_sim, stream_of):
    sim = make_sim(start_at=datetime(2026, 3, 11, 15, 0, tzinfo=NY), market="nyse")
    stream = stream_of(sim)
    limit = sim.client.submit_order(LimitOrderRequest(symbol="MSFT", qty=3, side=OrderSide.BUY, limit_price=1,
                                                      time_in_force=TimeInForce.DAY))
    sim.advance(1)
    new = sim.client.replace_order_by_id(limit.id, ReplaceOrderRequest(limit_price=2))
    sim.client.cancel_order_by_id(new.id)
    sim.client.submit_order(MarketOrderRequest(
        symbol="AAPL", qty=5, side=OrderSide.BUY, time_in_force=TimeInForce.GTC, order_class=OrderClass.BRACKET,
        take_profit=TakeProfitRequest(limit_price=10000), stop_loss=StopLossRequest(stop_price=1)))
    sim.client.submit_order(LimitOrderRequest(symbol="JPM", qty=1, side=OrderSide.BUY, limit_price=5,
                                              time_in_force=TimeInForce.DAY))
    sim.advance(1)
    sim.advance(3600)  # the close: the JPM order expires
    wait_for(lambda: any(u.event == "expired" for u in stream.updates))
    assert all(isinstance(u, TradeUpdate) for u in stream.updates)
    events = {str(getattr(u.event, "value", u.event)) for u in stream.updates}
    assert {"pending_new", "new", "replaced", "canceled", "fill", "expired"} <= events
    replaced = next(u for u in stream.updates if u.event == "replaced")
    assert replaced.order.id == limit.id and replaced.order.replaced_by == new.id
