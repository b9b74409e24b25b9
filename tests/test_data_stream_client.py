"""tui.broker.datastream.MarketDataStream against the simulator's /v2/{feed} (and, for
refusals and malformed frames, a scripted server): ticks, the watched set and its limit,
refusals, reconnecting and stopping."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from datetime import datetime
from decimal import Decimal
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator

import pytest
import requests
from aiohttp import web

from tui.broker.datastream import MarketDataStream, StreamState, parse_tick, symbol_of
from tui.broker.market import Bar, QuoteTick, Tick, TradeTick
from tui.sim.datastream import Subscription
from .conftest import KEY, SECRET, wait_for
from .harness.simulator import HEADERS, SimHandle, start_simulator
from .test_stream_client import Recorder, serve, timed_stop, until

S = StreamState
CONNECTION_LIMIT = "connection limit exceeded (406): another program holds the data stream"


class TickRecorder(Recorder):
    """What the stream reports (test_stream_client's Recorder), with the ticks by frame."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[list[Tick]] = []

    def on_ticks(self, ticks: list[Tick]) -> None:
        self.frames.append(ticks)
        self.threads.add(threading.current_thread())

    @property
    def ticks(self) -> list[Tick]:
        return [tick for frame in list(self.frames) for tick in frame]

    def of(self, kind: type, symbol: str) -> list[Any]:
        return [t for t in self.ticks if isinstance(t, kind) and t.symbol == symbol]

    def join(self, timeout: float = 5.0) -> None:
        """Wait for the stream's thread (if it ever ran) to end."""
        for thread in [t for t in self.threads if t.name == MarketDataStream.thread_name]:
            thread.join(timeout)
            assert not thread.is_alive(), "the stream thread did not end"


class Streams:
    """The streams a test opened (quick retries unless told otherwise), to stop at its end."""

    def __init__(self) -> None:
        self.opened: list[tuple[MarketDataStream, TickRecorder]] = []

    def open(self, url: str, watch: list[str] | None = None, key: str = KEY, secret: str = SECRET,
             **options: Any) -> tuple[MarketDataStream, TickRecorder]:
        """A started stream watching `watch` (set before start: subscribed once it connects)."""
        rec = TickRecorder()
        stream = MarketDataStream(url, key, secret, rec.on_ticks, rec.on_state,
                                  **{"backoff_min": 0.05, "backoff_max": 0.2, **options})
        stream.watch(watch or [])
        self.opened.append((stream, rec))
        stream.start()
        return stream, rec

    def close(self) -> None:
        for stream, _ in self.opened:
            stream.stop()  # all asked at once: each returns at once
        for _, rec in self.opened:
            rec.join()


@pytest.fixture
def open_stream() -> Iterator[Callable[..., tuple[MarketDataStream, TickRecorder]]]:
    streams = Streams()
    yield streams.open
    streams.close()


def data_url(sim: SimHandle, feed: str = "iex") -> str:
    return sim.url.replace("http://", "ws://") + f"/v2/{feed}"


def post_price(sim: SimHandle, symbol: str, price: str) -> None:
    answer = requests.post(sim.url + "/sim/price", json={"symbol": symbol, "price": price}, headers=HEADERS,
                           timeout=5)
    assert answer.status_code == 200, answer.text


def server_symbol_limit(sim: SimHandle, limit: int) -> None:
    """What --data-symbol-limit sets, changed while the simulator runs."""
    sim.call(setattr, sim.background.simulator.datastream, "symbol_limit", limit)


# ---- against the simulator -----------------------------------------------------------------

def test_listening_with_nothing_watched(sim, open_stream):
    stream, rec = open_stream(data_url(sim))
    wait_for(lambda: stream.state is S.LISTENING)
    assert [s for s, _ in rec.states] == [S.CONNECTING, S.LISTENING]
    assert stream.streamed == () and stream.symbol_limit == 30
    assert {t.name for t in rec.threads} == {"market-data"}


def test_quotes_and_trades_arrive_and_follow_the_price(sim, open_stream):
    stream, rec = open_stream(data_url(sim), watch=["AAPL", "msft"])
    wait_for(lambda: stream.streamed == ("AAPL", "MSFT"))
    post_price(sim, "AAPL", "201.50")
    quote = wait_for(lambda: rec.of(QuoteTick, "AAPL"))[-1]
    assert quote.bid < Decimal("201.50") < quote.ask and quote.bid_size > 0 and quote.time.year >= 2000
    assert [t.price for t in wait_for(lambda: rec.of(TradeTick, "AAPL"))] == [Decimal("201.5")]
    # A frame's ticks come as one list: the trade and the quote of one price move together.
    assert any({type(t) for t in frame} == {QuoteTick, TradeTick} for frame in rec.frames)
    post_price(sim, "AAPL", "190")
    wait_for(lambda: rec.of(TradeTick, "AAPL")[-1].price == Decimal("190"))
    assert rec.of(QuoteTick, "AAPL")[-1].ask > Decimal("190") > rec.of(QuoteTick, "AAPL")[-1].bid
    assert rec.of(QuoteTick, "MSFT") == []  # it did not move
    assert rec.count(S.DISCONNECTED) == 0


def test_a_changed_watch_unsubscribes_what_is_no_longer_wanted(sim, open_stream):
    stream, rec = open_stream(data_url(sim), watch=["AAPL", "MSFT", "NVDA"])
    wait_for(lambda: stream.streamed == ("AAPL", "MSFT", "NVDA"))
    stream.watch(["MSFT", "TSLA"])  # from this thread, while connected
    wait_for(lambda: stream.streamed == ("MSFT", "TSLA"))
    post_price(sim, "NVDA", "150")
    post_price(sim, "TSLA", "250")
    wait_for(lambda: rec.of(TradeTick, "TSLA"))
    assert rec.of(TradeTick, "NVDA") == [] and rec.of(QuoteTick, "NVDA") == []
    stream.watch([])
    wait_for(lambda: stream.streamed == ())
    assert stream.state is S.LISTENING


def test_only_the_first_symbol_limit_symbols_are_streamed(sim, open_stream):
    wanted = [f"S{n:02d}" for n in range(40)]
    stream, rec = open_stream(data_url(sim), watch=wanted)
    wait_for(lambda: len(stream.streamed) == 30)
    assert stream.streamed == tuple(wanted[:30])
    # New priorities: the ten that fall out make room for the ten that come in.
    stream.watch(wanted[10:])
    wait_for(lambda: stream.streamed and set(stream.streamed) == set(wanted[10:]))
    assert rec.details(S.LISTENING) == ["listening"]  # the server never refused (no 405)


def test_a_smaller_plan_than_configured_lowers_the_limit_without_looping(sim, open_stream):
    server_symbol_limit(sim, 3)
    wanted = ["AAPL", "MSFT", "NVDA", "TSLA", "KO", "PEP"]
    stream, rec = open_stream(data_url(sim), watch=wanted)  # the client believes in 30
    wait_for(lambda: stream.streamed == ("AAPL", "MSFT", "NVDA"))  # 6 refused, then 3 taken
    assert stream.symbol_limit == 3
    assert rec.details(S.LISTENING)[-1] == "symbol limit exceeded (405): streaming at most 3 symbols"
    post_price(sim, "NVDA", "140")
    wait_for(lambda: rec.of(TradeTick, "NVDA"))
    states = len(rec.states)
    time.sleep(0.2)
    assert len(rec.states) == states and stream.streamed == ("AAPL", "MSFT", "NVDA")  # settled
    # Growing the list later stays within the lowered limit; new priorities still apply.
    stream.watch(["KO", *wanted])
    wait_for(lambda: stream.streamed and set(stream.streamed) == {"KO", "AAPL", "MSFT"})


def test_a_405_after_some_were_taken_keeps_what_the_server_acknowledged(sim, open_stream):
    server_symbol_limit(sim, 2)
    stream, rec = open_stream(data_url(sim), watch=["AAPL", "MSFT"])
    wait_for(lambda: stream.streamed == ("AAPL", "MSFT"))
    stream.watch(["AAPL", "MSFT", "NVDA", "TSLA", "KO", "PEP", "JNJ", "XOM"])  # 8 refused: 4, refused: 2
    wait_for(lambda: stream.symbol_limit == 2)
    wait_for(lambda: rec.details(S.LISTENING)[-1] == "symbol limit exceeded (405): streaming at most 2 symbols")
    assert stream.streamed == ("AAPL", "MSFT") and stream.state is S.LISTENING


def test_a_second_connection_on_the_same_keys_is_unauthorized_until_the_first_leaves(sim, open_stream):
    first, _ = open_stream(data_url(sim), watch=["AAPL"])
    wait_for(lambda: first.streamed == ("AAPL",))
    second, rec = open_stream(data_url(sim, "sip"), watch=["MSFT"])
    wait_for(lambda: second.state is S.UNAUTHORIZED)
    assert rec.details(S.UNAUTHORIZED)[0] == CONNECTION_LIMIT
    assert second.streamed == () and first.state is S.LISTENING
    first.stop()
    wait_for(lambda: second.streamed == ("MSFT",))  # its next try, backoff_max later, gets the slot


def test_wrong_keys_are_unauthorized_and_the_secret_never_shown(make_sim, open_stream):
    sim = make_sim(api_key=KEY, secret_key=SECRET)
    wrong = "wrong-secret-7f3c9a"
    stream, rec = open_stream(data_url(sim), secret=wrong, backoff_max=30.0)
    wait_for(lambda: stream.state is S.UNAUTHORIZED)
    assert rec.details(S.UNAUTHORIZED) == ["keys refused (402)"]
    assert timed_stop(stream) < 0.5  # cuts the 30 s wait short
    wait_for(lambda: stream.state is S.STOPPED, timeout=2)
    assert all(wrong not in detail for _, detail in rec.states)


def test_after_the_server_restarts_it_subscribes_again_and_ticks_flow(open_stream):
    running: list[SimHandle] = []
    try:
        first = start_simulator()
        running.append(first)
        stream, rec = open_stream(data_url(first), watch=["AAPL", "MSFT"])
        wait_for(lambda: stream.streamed == ("AAPL", "MSFT"))
        running.remove(first)
        first.stop()
        wait_for(lambda: rec.count(S.DISCONNECTED) >= 1)
        assert stream.streamed == ()  # nothing streams while disconnected
        stream.watch(["MSFT", "NVDA"])  # changed while away
        second = start_simulator(port=first.port)
        running.append(second)
        wait_for(lambda: stream.streamed == ("MSFT", "NVDA"))
        assert rec.count(S.LISTENING) == 2
        post_price(second, "NVDA", "155")
        wait_for(lambda: rec.of(TradeTick, "NVDA"))
    finally:
        for handle in running:
            handle.stop()


def test_stop_while_listening_returns_at_once(sim, open_stream):
    stream, rec = open_stream(data_url(sim), watch=["AAPL"])
    wait_for(lambda: stream.streamed == ("AAPL",))
    assert timed_stop(stream) < 0.5
    wait_for(lambda: stream.state is S.STOPPED, timeout=2)
    rec.join(2)
    stream.stop()  # twice is harmless
    assert rec.states[-1] == (S.STOPPED, "stopped") and rec.count(S.STOPPED) == 1
    frames = len(rec.frames)
    sim.set_price("AAPL", "188")
    time.sleep(0.1)
    assert len(rec.frames) == frames


def test_stop_before_start():
    rec = TickRecorder()
    stream = MarketDataStream("ws://127.0.0.1:1/v2/iex", KEY, SECRET, rec.on_ticks, rec.on_state)
    stream.watch(["AAPL"])
    stream.stop()
    assert rec.states == [(S.STOPPED, "stopped")] and stream.state is S.STOPPED
    stream.start()
    stream.watch(["MSFT"])  # harmless after the stop
    assert rec.states == [(S.STOPPED, "stopped")]


# ---- parsing, without a server ------------------------------------------------------------

def test_symbols_are_cleaned_and_junk_dropped():
    assert [symbol_of(s) for s in ("aapl", " BRK.B ", "BTC/USD", "AA\x1bPL", "[/]", "", "ＡＡＰＬ", 7, None,
                                   "A" * 30)] == ["AAPL", "BRK.B", "BTC/USD", None, None, None, None, None, None,
                                                  None]
    rec = TickRecorder()
    stream = MarketDataStream("ws://127.0.0.1:1/v2/iex", KEY, SECRET, rec.on_ticks, rec.on_state)
    stream.watch(["msft", "\x1b[31mRED", "MSFT", "AAPL", 5])  # type: ignore[list-item]
    assert stream._wanted == ("MSFT", "AAPL")
    stream.watch("NVDA")  # one symbol, not four letters
    assert stream._wanted == ("NVDA",)


def test_ticks_are_bounded():
    t = "2026-03-02T15:00:01.123456789Z"
    assert parse_tick({"T": "t", "S": "AAPL", "p": 1.5, "s": 100, "t": t}) == \
        TradeTick("AAPL", Decimal("1.5"), Decimal("100"), datetime.fromisoformat("2026-03-02T15:00:01.123456+00:00"))
    quote = parse_tick({"T": "q", "S": "AAPL", "bp": float("nan"), "ap": 2, "bs": -1, "as": "1e999", "t": "junk"})
    assert quote == QuoteTick("AAPL", None, Decimal(2), None, None, None)
    bar = parse_tick({"T": "b", "S": "AAPL", "o": 1, "h": 2, "l": 0.5, "c": 1.5, "v": "x", "t": t})
    assert isinstance(bar, Bar) and bar.volume == 0 and bar.close == Decimal("1.5")
    for junk in ({"T": "t", "S": "AAPL", "p": float("inf")}, {"T": "q", "S": "AAPL", "bp": None, "ap": "NaN"},
                 {"T": "b", "S": "AAPL", "o": "x", "h": 2, "l": 1, "c": 1, "t": t},
                 {"T": "b", "S": "AAPL", "o": 1, "h": 2, "l": 1, "c": 1, "t": "9999-01-01T00:00:00Z"},
                 {"T": "t", "S": "A\x1b[2JB", "p": 1}, {"T": ["t"], "S": "AAPL", "p": 1}, {"T": "x"}, [1], None):
        assert parse_tick(junk) is None, junk


# ---- against a scripted server ---------------------------------------------------------------

@contextlib.asynccontextmanager
async def scripted(script: Callable[[web.Request, web.WebSocketResponse], Awaitable[Any]]) -> AsyncIterator[str]:
    """A websocket server on the test's loop running script(request, ws) for each client; yields its URL."""
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await script(request, ws)
        return ws

    runner, url = await serve(handler)
    try:
        yield url
    finally:
        await runner.cleanup()


async def hello(ws: web.WebSocketResponse) -> dict[str, Any]:
    """Greet, read the authentication, accept it."""
    await ws.send_str('[{"T":"success","msg":"connected"}]')
    auth = await ws.receive_json()
    await ws.send_str('[{"T":"success","msg":"authenticated"}]')
    return auth


async def answer_subscriptions(ws: web.WebSocketResponse, requests_seen: list[Any],
                               after_first: Callable[[], Any] | None = None) -> None:
    """Answer (un)subscribe as Alpaca does until the client leaves."""
    subscription = Subscription()
    async for msg in ws:
        body = json.loads(msg.data)
        requests_seen.append(body)
        wanted = {k: v for k, v in body.items() if k != "action"}
        subscription.channels = subscription.changed(body["action"], wanted)
        await ws.send_str(json.dumps([subscription.message()]))
        if after_first is not None:
            await after_first()
            after_first = None


async def test_only_the_difference_is_sent_and_json_is_asked_for(open_stream):
    seen: list[Any] = []
    handshake: list[Any] = []

    async def script(request: web.Request, ws: web.WebSocketResponse) -> None:
        handshake.append(request.headers.get("Content-Type"))
        handshake.append(await hello(ws))
        await answer_subscriptions(ws, seen)

    async with scripted(script) as url:
        stream, rec = open_stream(url, watch=["AAPL", "MSFT", "NVDA"])
        await until(lambda: stream.streamed == ("AAPL", "MSFT", "NVDA"))
        stream.watch(["MSFT", "NVDA", "TSLA"])
        await until(lambda: stream.streamed == ("MSFT", "NVDA", "TSLA"))
        stream.watch(["MSFT", "NVDA", "TSLA"])  # no change: nothing sent
        await asyncio.sleep(0.1)
        three = ["AAPL", "MSFT", "NVDA"]
        assert seen == [{"action": "subscribe", "trades": three, "quotes": three, "bars": three},
                        {"action": "unsubscribe", "trades": ["AAPL"], "quotes": ["AAPL"], "bars": ["AAPL"]},
                        {"action": "subscribe", "trades": ["TSLA"], "quotes": ["TSLA"], "bars": ["TSLA"]}]
        assert handshake == [None, {"action": "auth", "key": KEY, "secret": SECRET}]  # JSON, not msgpack
        stream.stop()
        await until(lambda: stream.state is S.STOPPED)


HOSTILE_FRAMES = [
    "not json", "[1, 2]", '"a string"', "null", "{}", "[[]]", '[{"T": ["t"], "S": "AAPL", "p": 1}]',
    '[{"T": "t", "S": "AAPL", "p": NaN}, {"T": "q", "S": "AAPL", "bp": Infinity, "ap": 1e999}]',
    '[{"T": "t", "S": "AA\\u001b[2JPL", "p": 5}, {"T": "t", "S": "[/]", "p": 5}, {"T": "t", "S": ["AAPL"], "p": 5}]',
    '[{"T": "t", "S": "AAPL", "p": "1e999999999"}, {"T": "t", "S": "AAPL", "p": -3}, {"T": "t", "S": "AAPL"}]',
    '[{"T": "b", "S": "AAPL", "o": "x", "h": 1, "l": 1, "c": 1, "t": "2026-03-02T15:00:00Z"}]',
    '[{"T": "t", "S": "ZZZZ", "p": 9}]',  # readable, but not watched: not delivered
    '[{"T": "error", "code": "x", "msg": "\\u001b]0;title\\u0007"}, {"T": "error", "code": true}, {"T": "error"}]',
    '[{"T": "success", "msg": "authenticated"}, {"T": "subscription", "trades": 5}]',
    '[{"T": "error", "code": 400, "msg": "invalid syntax"}]',
]


async def test_hostile_frames_never_crash_and_yield_no_bad_ticks(open_stream):
    seen: list[Any] = []

    async def script(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await hello(ws)

        async def junk() -> None:
            for frame in HOSTILE_FRAMES:
                await ws.send_str(frame)
            await ws.send_bytes(b"\xff\xfe\x00 not utf-8")
            await ws.send_str('[{"T": "t", "S": "AAPL", "p": 101.5, "s": 100, "t": "2026-03-02T15:00:00Z"}]')

        await answer_subscriptions(ws, seen, junk)

    async with scripted(script) as url:
        stream, rec = open_stream(url, watch=["AAPL"])
        await until(lambda: rec.frames)
        await asyncio.sleep(0.1)
        assert rec.frames == [[TradeTick("AAPL", Decimal("101.5"), Decimal("100"),
                                         datetime.fromisoformat("2026-03-02T15:00:00+00:00"))]]
        assert [s for s, _ in rec.states] == [S.CONNECTING, S.LISTENING] and stream.state is S.LISTENING
        assert len(seen) == 1  # the junk subscription reply and the 400 did not set off requests
        stream.watch(["AAPL", "MSFT"])  # still answering to changes
        await until(lambda: stream.streamed == ("AAPL", "MSFT"))
        stream.stop()
        await until(lambda: stream.state is S.STOPPED)


@pytest.mark.parametrize("code, state, detail", [
    (402, S.UNAUTHORIZED, "keys refused (402)"),
    (406, S.UNAUTHORIZED, CONNECTION_LIMIT),
    (409, S.UNAUTHORIZED, "insufficient subscription (409): the plan does not include this feed"),
    (401, S.DISCONNECTED, "not authenticated (401)"),
    (404, S.DISCONNECTED, "authentication timed out (404)"),
])
async def test_errors_at_authentication(open_stream, code, state, detail):
    async def script(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.send_str('[{"T":"success","msg":"connected"}]')
        await ws.receive()
        await ws.send_str(json.dumps([{"T": "error", "code": code, "msg": f"echo {SECRET}"}]))
        await ws.close()

    async with scripted(script) as url:
        _, rec = open_stream(url, backoff_max=0.05)
        await until(lambda: rec.count(state) >= 2)  # and it tries again
        assert set(rec.details(state)) == {detail}
        assert {s for s, _ in rec.states} == {S.CONNECTING, state}
        assert all(SECRET not in d for _, d in rec.states)


async def test_a_server_that_never_welcomes_times_out_and_retries(open_stream):
    async def script(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.receive()  # says nothing

    async with scripted(script) as url:
        stream, rec = open_stream(url, connect_timeout=0.2)
        await until(lambda: rec.count(S.DISCONNECTED) >= 2)
        assert set(rec.details(S.DISCONNECTED)) == {"no welcome from the server"}
        stream.stop()
        await until(lambda: stream.state is S.STOPPED)


async def test_an_unanswered_subscribe_drops_the_connection(open_stream):
    async def script(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await hello(ws)
        async for _ in ws:
            pass  # never answers

    async with scripted(script) as url:
        _, rec = open_stream(url, watch=["AAPL"], connect_timeout=0.2)
        await until(lambda: rec.count(S.DISCONNECTED) >= 1)
        assert rec.details(S.DISCONNECTED)[0] == "no reply to subscribe"
