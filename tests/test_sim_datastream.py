"""The real-time market-data stream at /v2/{iex,sip,test}: raw protocol over aiohttp's
websocket client, then alpaca-py's StockDataStream."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import datetime, timezone
from typing import Any

import aiohttp
import msgpack
import pytest
from alpaca.data.live.stock import StockDataStream

from .conftest import KEY, SECRET

AUTH = {"action": "auth", "key": KEY, "secret": SECRET}


def ws_url(sim, feed: str = "iex") -> str:
    return sim.url.replace("http://", "ws://") + f"/v2/{feed}"


async def recv(ws: aiohttp.ClientWebSocketResponse, timeout: float = 1.5) -> list[dict[str, Any]]:
    msg = await ws.receive(timeout=timeout)
    if msg.type == aiohttp.WSMsgType.BINARY:
        return msgpack.unpackb(msg.data)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def authenticated(session: aiohttp.ClientSession, url: str, **kwargs: Any) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(url, **kwargs)
    assert await recv(ws) == [{"T": "success", "msg": "connected"}]
    await ws.send_str(json.dumps(AUTH))
    assert await recv(ws) == [{"T": "success", "msg": "authenticated"}]
    return ws


async def set_price(session: aiohttp.ClientSession, sim, symbol: str, price: str) -> None:
    async with session.post(sim.url + "/sim/price", json={"symbol": symbol, "price": price},
                            headers={"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}) as answer:
        assert answer.status == 200, await answer.text()


def test_subscribe_then_a_price_move_pushes_a_quote_and_a_trade(make_sim):
    sim = make_sim(api_key=KEY, secret_key=SECRET)

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await authenticated(session, ws_url(sim))
            await ws.send_str(json.dumps({"action": "subscribe", "trades": ["AAPL"], "quotes": ["aapl", "MSFT"]}))
            [sub] = await recv(ws)
            assert sub["T"] == "subscription"
            assert sub["trades"] == ["AAPL"] and sub["quotes"] == ["AAPL", "MSFT"]
            for name in ("bars", "updatedBars", "dailyBars", "statuses", "lulds", "corrections", "cancelErrors"):
                assert isinstance(sub[name], list)
            await set_price(session, sim, "AAPL", "201.50")
            messages = await recv(ws)
            by_type = {m["T"]: m for m in messages}
            assert by_type["t"]["S"] == "AAPL" and by_type["t"]["p"] == 201.5
            quote = by_type["q"]
            assert quote["S"] == "AAPL" and quote["bp"] < 201.5 < quote["ap"]
            assert set(quote) == {"T", "S", "ax", "ap", "as", "bx", "bp", "bs", "c", "t", "z"}
            assert quote["t"].endswith("Z") and len(quote["t"].split(".")[1]) == 10  # nanoseconds
            # A symbol nobody asked for stays quiet; unsubscribing stops the pushes.
            await ws.send_str(json.dumps({"action": "unsubscribe", "trades": ["AAPL"], "quotes": ["AAPL"]}))
            [sub] = await recv(ws)
            assert sub["trades"] == [] and sub["quotes"] == ["MSFT"]
            await set_price(session, sim, "AAPL", "202.00")
            await set_price(session, sim, "MSFT", "400.00")
            [quote] = await recv(ws)
            assert quote["T"] == "q" and quote["S"] == "MSFT"
            await ws.close()

    asyncio.run(scenario())


def test_set_price_in_the_engine_pushes_and_star_subscribes_to_all(make_sim):
    sim = make_sim()

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await authenticated(session, ws_url(sim, "sip"))
            await ws.send_str(json.dumps({"action": "subscribe", "quotes": ["*"]}))
            [sub] = await recv(ws)
            assert sub["quotes"] == ["*"]
            await asyncio.get_running_loop().run_in_executor(None, sim.set_price, "NVDA", "150")
            [quote] = await recv(ws)
            assert quote["S"] == "NVDA" and quote["T"] == "q"
            await ws.close()

    asyncio.run(scenario())


def test_errors_invalid_syntax_not_authenticated_and_auth_failed(make_sim):
    sim = make_sim(api_key=KEY, secret_key=SECRET)

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(ws_url(sim))
            await recv(ws)
            await ws.send_str("not json")
            assert await recv(ws) == [{"T": "error", "code": 400, "msg": "invalid syntax"}]
            await ws.send_str(json.dumps({"action": "subscribe", "quotes": ["AAPL"]}))
            assert await recv(ws) == [{"T": "error", "code": 401, "msg": "not authenticated"}]
            await ws.send_str(json.dumps({"action": "auth", "key": KEY, "secret": "wrong"}))
            assert await recv(ws) == [{"T": "error", "code": 402, "msg": "auth failed"}]
            assert (await ws.receive(timeout=1)).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            # After authenticating, bad requests are refused and the connection stays.
            ws = await authenticated(session, ws_url(sim))
            await ws.send_str(json.dumps({"action": "subscribe", "quotes": "AAPL"}))
            assert await recv(ws) == [{"T": "error", "code": 400, "msg": "invalid syntax"}]
            await ws.send_str(json.dumps({"action": "subscribe", "quotes": ["AAPL"]}))
            assert (await recv(ws))[0]["quotes"] == ["AAPL"]
            await ws.close()

    asyncio.run(scenario())


def test_a_second_connection_for_the_key_is_refused_with_406(make_sim):
    sim = make_sim()

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            first = await authenticated(session, ws_url(sim))
            second = await session.ws_connect(ws_url(sim, "sip"))
            await recv(second)
            await second.send_str(json.dumps(AUTH))
            assert await recv(second) == [{"T": "error", "code": 406, "msg": "connection limit exceeded"}]
            await first.close()
            await asyncio.sleep(0.05)  # the server notices the close and frees the key's slot
            third = await authenticated(session, ws_url(sim))
            await third.close()

    asyncio.run(scenario())


def test_symbols_over_the_limit_are_refused_with_405(make_sim):
    sim = make_sim()
    # ServerOptions.data_symbol_limit (--data-symbol-limit) ends up here.
    sim.call(setattr, sim.background.simulator.datastream, "symbol_limit", 3)

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await authenticated(session, ws_url(sim))
            await ws.send_str(json.dumps({"action": "subscribe", "trades": ["AAPL", "MSFT"], "quotes": ["AAPL"]}))
            assert (await recv(ws))[0]["trades"] == ["AAPL", "MSFT"]
            await ws.send_str(json.dumps({"action": "subscribe", "quotes": ["NVDA", "TSLA"]}))
            assert await recv(ws) == [{"T": "error", "code": 405, "msg": "symbol limit exceeded"}]
            await ws.send_str(json.dumps({"action": "subscribe", "bars": ["NVDA", "TSLA"]}))  # bars do not count
            [sub] = await recv(ws)
            assert sub["quotes"] == ["AAPL"] and sub["bars"] == ["NVDA", "TSLA"]
            await ws.close()

    asyncio.run(scenario())


def test_msgpack_frames_when_the_handshake_asks(make_sim):
    sim = make_sim()

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(ws_url(sim), headers={"Content-Type": "application/msgpack"})
            msg = await ws.receive(timeout=1)
            assert msg.type == aiohttp.WSMsgType.BINARY
            assert msgpack.unpackb(msg.data) == [{"T": "success", "msg": "connected"}]
            await ws.send_bytes(msgpack.packb(AUTH))
            assert await recv(ws) == [{"T": "success", "msg": "authenticated"}]
            await ws.send_bytes(msgpack.packb({"action": "subscribe", "quotes": ["AAPL"]}))
            await recv(ws)
            await set_price(session, sim, "AAPL", "190")
            [quote] = await recv(ws)
            assert quote["S"] == "AAPL" and isinstance(quote["t"], msgpack.Timestamp)
            await ws.close()

    asyncio.run(scenario())


def test_fakepaca_on_the_test_feed(make_sim, monkeypatch):
    from tui.sim import datastream

    monkeypatch.setattr(datastream, "FAKE_PERIOD", 0.05)
    sim = make_sim()

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await authenticated(session, ws_url(sim, "test"))
            await ws.send_str(json.dumps({"action": "subscribe", "quotes": ["FAKEPACA"]}))
            await recv(ws)
            [quote] = await recv(ws)
            assert quote["S"] == "FAKEPACA" and quote["ap"] > quote["bp"] > 0
            await ws.close()

    asyncio.run(scenario())


def test_alpaca_py_stock_data_stream_receives_a_quote(make_sim):
    sim = make_sim(api_key=KEY, secret_key=SECRET)
    stream = StockDataStream(KEY, SECRET, url_override=ws_url(sim))
    got: list[Any] = []
    arrived = threading.Event()

    async def on_quote(quote) -> None:
        got.append(quote)
        arrived.set()

    stream.subscribe_quotes(on_quote, "AAPL")  # before run(): its loop waits for a subscription
    runner = threading.Thread(target=stream.run, daemon=True)
    runner.start()
    try:
        # Move the price until the stream (connecting in its thread) has the quote.
        for step in range(30):
            sim.set_price("AAPL", f"{180 + step}")
            if arrived.wait(0.05):
                break
        assert got, "no quote arrived"
        assert got[0].symbol == "AAPL" and got[0].ask_price > got[0].bid_price
        assert got[0].timestamp.year >= 2000
    finally:
        stream.stop()
        # Its consumer sees the stop request only between frames (or after a 5 s receive
        # timeout), so a price move or two lets it finish at once.
        for step in range(20):
            sim.set_price("AAPL", f"{170 + step}")
            runner.join(timeout=0.05)
            if not runner.is_alive():
                break
    assert not runner.is_alive()


def test_no_auth_within_the_timeout_is_error_404(make_sim, monkeypatch):
    from tui.sim import datastream

    monkeypatch.setattr(datastream, "AUTH_TIMEOUT", 0.1)
    sim = make_sim()

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(ws_url(sim))
            await recv(ws)
            assert await recv(ws) == [{"T": "error", "code": 404, "msg": "auth timeout"}]
            assert (await ws.receive(timeout=1)).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)

    asyncio.run(scenario())


def test_minute_bars_once_the_minute_is_over(make_sim, monkeypatch):
    from tui.sim import datastream

    monkeypatch.setattr(datastream, "BAR_CHECK", 0.05)
    sim = make_sim(start_at=datetime(2026, 3, 2, 15, 0, 10, tzinfo=timezone.utc))

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await authenticated(session, ws_url(sim))
            await ws.send_str(json.dumps({"action": "subscribe", "bars": ["AAPL"]}))
            await recv(ws)
            for price in ("200", "203", "199", "201"):
                await set_price(session, sim, "AAPL", price)
            await asyncio.get_running_loop().run_in_executor(None, sim.advance, 60)
            [bar] = await recv(ws)
            assert bar["T"] == "b" and bar["S"] == "AAPL" and bar["t"] == "2026-03-02T15:00:00.000000000Z"
            assert (bar["o"], bar["h"], bar["l"], bar["c"], bar["n"]) == (200, 203, 199, 201, 4)
            assert bar["v"] > 0 and 199 <= bar["vw"] <= 203
            # A minute with one trade has its bar; the quiet minute after it has none.
            await set_price(session, sim, "AAPL", "202")
            await asyncio.get_running_loop().run_in_executor(None, sim.advance, 120)
            [bar] = await recv(ws)
            assert bar["t"] == "2026-03-02T15:01:00.000000000Z" and bar["n"] == 1
            with pytest.raises(asyncio.TimeoutError):
                await recv(ws, timeout=0.2)
            await ws.close()

    asyncio.run(scenario())


def test_the_cli_flag_sets_the_symbol_limit():
    from tui.cli import build_parser, server_options
    from tui.sim.server import ServerOptions

    assert ServerOptions().data_symbol_limit == 30
    assert server_options(build_parser().parse_args(["sim", "--data-symbol-limit", "5"])).data_symbol_limit == 5


def test_the_price_walk_pushes_quotes(make_sim):
    sim = make_sim(prices="live", start_at=datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc))

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await authenticated(session, ws_url(sim))
            await ws.send_str(json.dumps({"action": "subscribe", "quotes": ["AAPL", "MSFT"]}))
            await recv(ws)
            await asyncio.get_running_loop().run_in_executor(None, sim.advance, 1.0)  # one step of the walk
            quotes = await recv(ws)
            assert sorted(q["S"] for q in quotes) == ["AAPL", "MSFT"]
            assert {q["t"] for q in quotes} == {"2026-03-02T15:00:01.000000000Z"}
            await ws.close()

    asyncio.run(scenario())
