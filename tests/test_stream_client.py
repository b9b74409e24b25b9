"""tui.broker.stream.TradeUpdatesStream against the real simulator (and, for malformed
frames, a scripted server): states, updates, refusals, retries and stopping."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from typing import Any, Callable, Iterator

import pytest
from aiohttp import web
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import MarketOrderRequest

from tui.broker.stream import StreamState, TradeUpdatesStream
from .conftest import KEY, SECRET, wait_for
from .harness.simulator import SimHandle, start_simulator

S = StreamState


class Recorder:
    """Collects what the stream reports, and on which threads."""

    def __init__(self, raise_in_callbacks: bool = False) -> None:
        self.raise_in_callbacks = raise_in_callbacks
        self.states: list[tuple[StreamState, str]] = []
        self.updates: list[dict[str, Any]] = []
        self.threads: set[threading.Thread] = set()

    def on_state(self, state: StreamState, detail: str) -> None:
        self.states.append((state, detail))
        self.threads.add(threading.current_thread())
        if self.raise_in_callbacks:
            raise RuntimeError("a broken on_state")

    def on_update(self, data: dict[str, Any]) -> None:
        self.updates.append(data)
        self.threads.add(threading.current_thread())
        if self.raise_in_callbacks:
            raise RuntimeError("a broken on_update")

    def count(self, state: StreamState) -> int:
        return sum(1 for s, _ in self.states if s is state)

    def details(self, state: StreamState) -> list[str]:
        return [d for s, d in self.states if s is state]

    def fill_of(self, order_id: Any) -> dict[str, Any] | None:
        return next((u for u in self.updates if u["event"] == "fill" and u["order"]["id"] == str(order_id)), None)

    def join(self, timeout: float = 5.0) -> None:
        for thread in self.threads:
            if thread.name == "trade-updates":
                thread.join(timeout)
                assert not thread.is_alive(), "the stream thread did not end"


OpenStream = Callable[..., "tuple[TradeUpdatesStream, Recorder]"]


@pytest.fixture
def open_stream() -> Iterator[OpenStream]:
    """Start streams (quick retries unless told otherwise); all are stopped after the test."""
    made: list[tuple[TradeUpdatesStream, Recorder]] = []

    def start(url: str, key: str = KEY, secret: str = SECRET, recorder: Recorder | None = None,
              **options: Any) -> tuple[TradeUpdatesStream, Recorder]:
        recorder = recorder or Recorder()
        options.setdefault("backoff_min", 0.05)
        options.setdefault("backoff_max", 0.2)
        stream = TradeUpdatesStream(url, key, secret, recorder.on_update, recorder.on_state, **options)
        made.append((stream, recorder))
        stream.start()
        return stream, recorder

    yield start
    for stream, _ in made:
        stream.stop()
    for _, recorder in made:
        recorder.join()


def buy(client: Any, symbol: str, qty: int) -> Any:
    return client.submit_order(MarketOrderRequest(symbol=symbol, qty=qty, side=OrderSide.BUY,
                                                  time_in_force=TimeInForce.DAY))


def held_streams(sim: Any, key: str = KEY) -> int:
    """Authenticated stream connections the simulator counts for a key."""
    return sim.call(lambda: sim.background.simulator.streams.get(key, 0))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed_stop(stream: TradeUpdatesStream) -> float:
    began = time.monotonic()
    stream.stop()
    return time.monotonic() - began


# ---- against the simulator -----------------------------------------------------------------

def test_reaches_listening(sim, open_stream):
    stream, rec = open_stream(sim.stream_url)
    wait_for(lambda: stream.state is S.LISTENING)
    assert [s for s, _ in rec.states] == [S.CONNECTING, S.LISTENING]
    assert {t.name for t in rec.threads} == {"trade-updates"}
    assert held_streams(sim) == 1


def test_a_market_order_arrives_as_new_then_fill(sim, open_stream):
    stream, rec = open_stream(sim.stream_url)
    wait_for(lambda: stream.state is S.LISTENING)
    order = buy(sim.client, "AAPL", 3)
    fill = wait_for(lambda: rec.fill_of(order.id))
    events = [u["event"] for u in rec.updates]
    assert events.index("new") < events.index("fill")
    assert all(u["order"]["id"] == str(order.id) and u["order"]["symbol"] == "AAPL" for u in rec.updates)
    assert fill["qty"] == "3" and fill["position_qty"] == "3"
    assert Decimal(fill["price"]) > 0 and Decimal(fill["price"]) == Decimal(fill["order"]["filled_avg_price"])
    assert fill["timestamp"] and fill["execution_id"]


def test_a_wrong_secret_is_unauthorized_and_never_shown(make_sim, open_stream, caplog):
    sim = make_sim(api_key=KEY, secret_key=SECRET)
    wrong = "wrong-secret-7f3c9a"
    with caplog.at_level(logging.DEBUG, logger="tui.broker.stream"):
        stream, rec = open_stream(sim.stream_url, secret=wrong, backoff_max=30.0)
        wait_for(lambda: stream.state is S.UNAUTHORIZED)
        assert rec.details(S.UNAUTHORIZED) == ["keys refused"]
        assert held_streams(sim) == 0  # a refused connection holds no slot
        # It now waits backoff_max (30 s) before trying again; stop cuts that short.
        assert timed_stop(stream) < 0.5
        wait_for(lambda: stream.state is S.STOPPED, timeout=2)
        rec.join(2)
    assert all(wrong not in detail for _, detail in rec.states)
    assert all(wrong not in record.getMessage() for record in caplog.records)


def test_a_second_stream_on_the_same_keys_hits_the_connection_limit(sim, open_stream):
    first, first_rec = open_stream(sim.stream_url)
    wait_for(lambda: first.state is S.LISTENING)
    second, second_rec = open_stream(sim.stream_url)
    wait_for(lambda: second.state is S.UNAUTHORIZED)
    assert second_rec.details(S.UNAUTHORIZED)[0] == "connection limit exceeded"
    assert first.state is S.LISTENING and first_rec.count(S.LISTENING) == 1
    # Once the first one lets go, the second gets the slot on its own next try.
    first.stop()
    wait_for(lambda: second.state is S.LISTENING)


def test_a_closed_port_keeps_retrying_until_stopped(open_stream):
    stream, rec = open_stream(f"ws://127.0.0.1:{closed_port()}/stream")
    wait_for(lambda: rec.count(S.DISCONNECTED) >= 3)
    assert set(rec.details(S.DISCONNECTED)) == {"connection refused"}
    assert {s for s, _ in rec.states} == {S.CONNECTING, S.DISCONNECTED}
    assert stream.state in (S.CONNECTING, S.DISCONNECTED)
    assert timed_stop(stream) < 0.5
    wait_for(lambda: stream.state is S.STOPPED, timeout=2)
    rec.join(2)


def test_stop_while_listening(sim, open_stream):
    stream, rec = open_stream(sim.stream_url)
    wait_for(lambda: stream.state is S.LISTENING)
    assert timed_stop(stream) < 0.5
    wait_for(lambda: stream.state is S.STOPPED, timeout=2)
    rec.join(2)
    stream.stop()  # a second stop is harmless
    assert rec.states[-1] == (S.STOPPED, "stopped") and rec.count(S.STOPPED) == 1
    wait_for(lambda: held_streams(sim) == 0)  # the socket was closed, so the slot is free
    buy(sim.client, "KO", 1)
    time.sleep(0.2)  # long enough for a fill to have been pushed, were anyone listening
    assert rec.updates == []


def test_stop_before_start():
    rec = Recorder()
    stream = TradeUpdatesStream("ws://127.0.0.1:1/stream", KEY, SECRET, rec.on_update, rec.on_state)
    assert stream.state is S.DISCONNECTED
    stream.stop()
    assert rec.states == [(S.STOPPED, "stopped")] and stream.state is S.STOPPED
    stream.start()  # a stopped stream stays stopped
    stream.stop()
    assert rec.states == [(S.STOPPED, "stopped")] and rec.threads == {threading.current_thread()}


def test_callbacks_that_raise_do_not_kill_the_stream(sim, open_stream, caplog):
    with caplog.at_level(logging.ERROR, logger="tui.broker.stream"):
        stream, rec = open_stream(sim.stream_url, recorder=Recorder(raise_in_callbacks=True))
        wait_for(lambda: stream.state is S.LISTENING)
        first = buy(sim.client, "KO", 1)
        wait_for(lambda: rec.fill_of(first.id))
        second = buy(sim.client, "PEP", 2)
        wait_for(lambda: rec.fill_of(second.id))
    assert stream.state is S.LISTENING and rec.count(S.DISCONNECTED) == 0
    messages = [r.getMessage() for r in caplog.records]
    assert "trade_updates on_update callback failed" in messages
    assert "trade_updates on_state callback failed" in messages


def test_reconnects_by_itself_after_a_server_restart(open_stream):
    running: list[SimHandle] = []
    try:
        first = start_simulator()
        running.append(first)
        stream, rec = open_stream(first.stream_url)
        wait_for(lambda: stream.state is S.LISTENING)
        running.remove(first)
        first.stop()
        wait_for(lambda: rec.count(S.DISCONNECTED) >= 2)  # the close, then at least one refusal
        assert rec.details(S.DISCONNECTED)[:2] == ["closed by server: server shutdown", "connection refused"]
        second = start_simulator(port=first.port)
        running.append(second)
        wait_for(lambda: rec.count(S.LISTENING) == 2)
        order = buy(second.client, "MSFT", 1)
        wait_for(lambda: rec.fill_of(order.id))
    finally:
        for handle in running:
            handle.stop()


# ---- against a scripted server ---------------------------------------------------------------

async def until(predicate: Callable[[], Any], timeout: float = 5.0) -> None:
    """wait_for for async tests: the scripted server shares the test's loop, so don't block it."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def serve(handler: Callable[[web.Request], Any]) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_get("/stream", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"ws://127.0.0.1:{runner.addresses[0][1]}/stream"


async def test_malformed_frames_are_ignored_and_text_frames_understood(open_stream):
    received: list[Any] = []
    new = {"event": "new", "order": {"id": "o-1", "symbol": "AAPL"}}
    fill = {"event": "fill", "order": {"id": "o-1", "symbol": "AAPL"}, "price": "1", "qty": "1", "position_qty": "1"}

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        received.append(await ws.receive_json())
        await ws.send_str(json.dumps({"stream": "authorization",
                                      "data": {"status": "authorized", "action": "authenticate"}}))
        received.append(await ws.receive_json())
        for junk in ("not json", "[1, 2]", '"a string"', "null", '{"stream": "trade_updates", "data": "x"}'):
            await ws.send_str(junk)
        await ws.send_bytes(b"\xff\xfe\x00 not utf-8")
        await ws.send_str(json.dumps({"stream": "listening", "data": {"streams": ["trade_updates"]}}))
        await ws.send_str(json.dumps({"stream": "account_updates", "data": {"event": "x"}}))
        await ws.send_str(json.dumps({"stream": "trade_updates"}))
        await ws.send_str(json.dumps({"stream": "trade_updates", "data": new}))  # text frame
        await ws.send_bytes(json.dumps({"stream": "trade_updates", "data": fill}).encode())  # binary frame
        await ws.receive()  # until the client leaves
        return ws

    runner, url = await serve(handler)
    try:
        stream, rec = open_stream(url)
        await until(lambda: len(rec.updates) == 2)
        assert rec.updates == [new, fill]
        assert [s for s, _ in rec.states] == [S.CONNECTING, S.LISTENING]
        assert received == [{"action": "authenticate", "data": {"key_id": KEY, "secret_key": SECRET}},
                            {"action": "listen", "data": {"streams": ["trade_updates"]}}]
        stream.stop()
        await until(lambda: stream.state is S.STOPPED)
    finally:
        await runner.cleanup()


async def test_a_server_that_never_answers_times_out_and_retries(open_stream):
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.receive()  # reads the authentication and says nothing
        await ws.receive()
        return ws

    runner, url = await serve(handler)
    try:
        stream, rec = open_stream(url, connect_timeout=0.2)
        await until(lambda: rec.count(S.DISCONNECTED) >= 2)
        assert set(rec.details(S.DISCONNECTED)) == {"no reply to authentication"}
        stream.stop()
        await until(lambda: stream.state is S.STOPPED)
    finally:
        await runner.cleanup()


async def test_a_refusal_that_echoes_the_secret_is_not_shown(open_stream):
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        secret = (await ws.receive_json())["data"]["secret_key"]
        await ws.send_str(json.dumps({"stream": "authorization", "data": {
            "status": "unauthorized", "action": "authenticate", "message": f"bad secret {secret}"}}))
        await ws.close(message=f"bad secret {secret}".encode())
        return ws

    runner, url = await serve(handler)
    try:
        stream, rec = open_stream(url, backoff_max=0.05)
        await until(lambda: rec.count(S.UNAUTHORIZED) >= 2)
        assert set(rec.details(S.UNAUTHORIZED)) == {"keys refused"}
        assert all(SECRET not in detail for _, detail in rec.states)
    finally:
        await runner.cleanup()


async def test_a_silent_peer_fails_the_heartbeat_and_stop_works_from_a_callback(open_stream):
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)  # never answers the client's pings
        await ws.prepare(request)
        await ws.receive()
        await ws.send_str(json.dumps({"stream": "authorization", "data": {"status": "authorized"}}))
        await ws.receive()
        await ws.send_str(json.dumps({"stream": "listening", "data": {"streams": ["trade_updates"]}}))
        while (await ws.receive()).type in (web.WSMsgType.PING, web.WSMsgType.PONG):
            pass
        return ws

    class StopOnDrop(Recorder):
        stream: TradeUpdatesStream

        def on_state(self, state: StreamState, detail: str) -> None:
            super().on_state(state, detail)
            if state is S.DISCONNECTED:
                self.stream.stop()  # from the stream's own thread, where alpaca-py's stop() deadlocks

    runner, url = await serve(handler)
    try:
        rec = StopOnDrop()
        rec.stream, _ = open_stream(url, recorder=rec, heartbeat=0.2)
        await until(lambda: rec.stream.state is S.STOPPED)
        assert rec.states == [(S.CONNECTING, "connecting"), (S.LISTENING, "listening"),
                              (S.DISCONNECTED, "heartbeat timed out"), (S.STOPPED, "stopped")]
    finally:
        await runner.cleanup()


def test_the_stream_module_imports_nothing_from_textual():
    code = ("import sys, tui.broker.stream;"
            "print(','.join(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
