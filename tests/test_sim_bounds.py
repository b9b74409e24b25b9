"""What the simulator does with hostile or absurd input, over raw HTTP and websockets: huge
numbers, huge or deep or non-UTF-8 bodies, far-off calendar years, malformed stream messages.
Every answer is an Alpaca-shaped error (never a 500), and nothing stalls the event loop."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tui.sim.engine import EngineOptions, Exchange

from .conftest import KEY, SECRET, wait_for
from .harness.profiles import examples

HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}
AUTH = {"action": "authenticate", "data": {"key_id": KEY, "secret_key": SECRET}}
LISTEN = {"action": "listen", "data": {"streams": ["trade_updates"]}}
ORDER = {"symbol": "AAPL", "qty": "1", "side": "buy", "type": "market", "time_in_force": "day"}


def http(sim, method: str, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("headers", HEADERS)
    return requests.request(method, sim.url + path, timeout=10, **kwargs)


def post_raw(sim, path: str, data: bytes | str, method: str = "POST") -> requests.Response:
    return http(sim, method, path, data=data, headers={**HEADERS, "Content-Type": "application/json"})


def alpaca_error(answer: requests.Response, status: int, code: int | None = None) -> str:
    """Assert an Alpaca error body with this status (and code); return its message."""
    assert answer.status_code == status, (answer.status_code, answer.text[:300])
    body = answer.json()
    assert isinstance(body["code"], int) and isinstance(body["message"], str), body
    assert "Traceback" not in answer.text
    if code is not None:
        assert body["code"] == code, body
    return body["message"]


def hold(sim, symbol: str = "AAPL", qty: int = 50) -> None:
    answer = http(sim, "POST", "/v2/orders", json={**ORDER, "symbol": symbol, "qty": str(qty)})
    assert answer.status_code == 200, answer.text
    wait_for(lambda: http(sim, "GET", f"/v2/positions/{symbol}").status_code == 200)


# ---- numeric query parameters -------------------------------------------------------------------

@pytest.mark.parametrize("path,name", [("/v2/orders", "limit"), ("/v2/account/activities", "page_size"),
                                       ("/v2/account/activities/FILL", "page_size")])
@pytest.mark.parametrize("value,status", [
    ("1e500000", 200),  # a number like any other too large: the page's maximum
    ("99999999999999999999999999999999", 200),
    ("3", 200),
    ("3.0", 200),
    ("0", 422), ("-1", 422), ("2.5", 422), ("abc", 422), ("NaN", 422), ("Infinity", 422), ("1e-500000", 422),
])
def test_numeric_query_parameters_are_bounded(sim, path, name, value, status):
    answer = http(sim, "GET", path, params={name: value})
    if status == 200:
        assert answer.status_code == 200 and isinstance(answer.json(), list)
    else:
        assert name in alpaca_error(answer, 422, 42210000)


def test_a_huge_limit_does_not_stall_the_event_loop(sim):
    answers: list[int] = []

    def hostile() -> None:
        for path in ("/v2/orders?limit=1e500000", "/v2/account/activities?page_size=1e500000",
                     "/v2/orders?status=all&limit=9e999999"):
            answers.append(http(sim, "GET", path).status_code)

    thread = threading.Thread(target=hostile)
    thread.start()
    slowest = 0.0
    while thread.is_alive():  # /v2/clock keeps answering while the hostile requests run
        began = time.monotonic()
        assert http(sim, "GET", "/v2/clock").status_code == 200
        slowest = max(slowest, time.monotonic() - began)
    thread.join()
    assert answers == [200, 200, 200]
    assert slowest < 1.5  # the old int(Decimal("1e500000")) held the loop for seconds


# ---- numbers in bodies --------------------------------------------------------------------------

BIG = "1" + "0" * 400  # a 401-digit integer


@pytest.mark.parametrize("changes,message", [
    ({"qty": 1e20}, "qty must be <= 1000000000"),
    ({"qty": 1e308}, "qty must be <= 1000000000"),
    ({"qty": BIG}, "qty must be <= 1000000000"),
    ({"qty": "1e500000"}, "qty must be <= 1000000000"),
    ({"qty": None, "notional": 1e27}, "notional must be <= 10000000000"),
    ({"type": "limit", "limit_price": 1e30}, "limit_price must be <= 10000000"),
    ({"type": "stop", "stop_price": "1e30"}, "stop_price must be <= 10000000"),
    ({"type": "trailing_stop", "trail_price": 1e30}, "trail_price must be <= 10000000"),
    ({"type": "limit", "limit_price": 10, "order_class": "bracket", "take_profit": {"limit_price": 1e30},
      "stop_loss": {"stop_price": 5}}, "take_profit.limit_price must be <= 10000000"),
    ({"type": "limit", "limit_price": 10, "order_class": "bracket", "take_profit": {"limit_price": 20},
      "stop_loss": {"stop_price": 1e30}}, "stop_loss.stop_price must be <= 10000000"),
    ({"type": "trailing_stop", "trail_percent": 1e30}, "trail_percent must be between 0 and 100"),
])
def test_huge_numbers_in_an_order_are_refused(sim, changes, message):
    body = {**ORDER, **changes}
    assert alpaca_error(http(sim, "POST", "/v2/orders", json=body), 422, 42210000) == message


def test_a_400_digit_json_number_is_refused(sim):
    raw = json.dumps(ORDER).replace('"qty": "1"', f'"qty": {BIG}')
    assert alpaca_error(post_raw(sim, "/v2/orders", raw), 422) == "qty must be <= 1000000000"
    long_decimal = "1." + "0" * 400 + "1"  # as a string: JSON's float would round it to 1.0
    answer = http(sim, "POST", "/v2/orders", json={**ORDER, "type": "limit", "limit_price": long_decimal})
    assert alpaca_error(answer, 422).endswith("sub-penny increment does not fulfill minimum pricing criteria")


def test_huge_numbers_in_a_replace_and_a_sim_price_are_refused(sim):
    order = http(sim, "POST", "/v2/orders", json={**ORDER, "type": "limit", "limit_price": "1",
                                                  "time_in_force": "gtc"}).json()
    for field in ("qty", "limit_price"):
        answer = http(sim, "PATCH", f"/v2/orders/{order['id']}", json={field: 1e30})
        assert field in alpaca_error(answer, 422, 42210000)
    assert alpaca_error(http(sim, "POST", "/sim/price", json={"symbol": "AAPL", "price": 1e30}), 422) == \
        "price must be <= 10000000"
    assert http(sim, "GET", f"/v2/orders/{order['id']}").json()["limit_price"] == "1"


def test_fault_settings_with_a_huge_integer_are_refused(sim):
    assert alpaca_error(post_raw(sim, "/sim/faults", '{"latency_ms": ' + BIG + "}"), 400, 40010000)


def test_starting_cash_past_the_bound_is_refused_at_start():
    with pytest.raises(ValueError, match="cash must be from 0 to"):
        Exchange(EngineOptions(cash=Decimal("1e30")))
    assert Exchange(EngineOptions(cash=Decimal("1e12"))).account()["cash"] == "1000000000000.00"


# ---- bodies: size, depth, encoding --------------------------------------------------------------

def test_a_body_over_64_kib_is_refused_with_413(sim):
    deep = "[" * 100_000 + "]" * 100_000  # 100k deep: too large before it is too deep
    assert alpaca_error(post_raw(sim, "/v2/orders", deep), 413, 41310000)
    padded = json.dumps({**ORDER, "client_order_id": "x" * 70_000})
    assert alpaca_error(post_raw(sim, "/v2/orders", padded), 413, 41310000)
    assert http(sim, "GET", "/v2/orders").json() == []


@pytest.mark.parametrize("raw", [
    "[" * 20_000 + "]" * 20_000,  # deeper than Python's parser goes
    '{"symbol": "AAPL", "x": ' + "[" * 40 + "]" * 40 + "}",  # parses, but past the depth limit
    '{"symbol": "AAPL", "take_profit": ' + '{"a": ' * 40 + "1" + "}" * 41,
])
@pytest.mark.parametrize("method,path", [("POST", "/v2/orders"), ("PATCH", "/v2/account/configurations"),
                                         ("POST", "/sim/price"), ("POST", "/sim/faults")])
def test_deep_json_is_a_malformed_body(sim, raw, method, path):
    assert alpaca_error(post_raw(sim, path, raw, method), 400, 40010000) == "request body format is invalid"


@pytest.mark.parametrize("method,path", [("POST", "/v2/orders"), ("PATCH", "/v2/account/configurations"),
                                         ("POST", "/sim/faults")])
def test_a_body_that_is_not_utf8_is_a_malformed_body(sim, method, path):
    raw = b'{"symbol": "AAPL\xff\xfe", "qty": "1"}'
    assert alpaca_error(post_raw(sim, path, raw, method), 400, 40010000) == "request body format is invalid"


def test_ordinary_bodies_still_work(sim):
    nested = {**ORDER, "type": "limit", "limit_price": "100", "order_class": "bracket",
              "take_profit": {"limit_price": "300"}, "stop_loss": {"stop_price": "50", "limit_price": "49"}}
    assert http(sim, "POST", "/v2/orders", json=nested).status_code == 200
    assert http(sim, "POST", "/v2/orders", json={**ORDER, "symbol": "AAPL"}).status_code == 200


# ---- the calendar in far-off years -------------------------------------------------------------

@pytest.mark.parametrize("start,end", [("9999-01-01", "9999-12-31"), ("0001-01-01", "0001-12-31"),
                                       ("2200-01-01", "9999-12-31")])
def test_calendar_outside_the_served_years_is_empty(sim, start, end):
    answer = http(sim, "GET", "/v2/calendar", params={"start": start, "end": end})
    assert answer.status_code == 200 and answer.json() == []
    answer = http(sim, "GET", "/v3/calendar/XNYS", params={"start": start, "end": end})
    assert answer.status_code == 200 and answer.json()["calendar"] == []


def test_calendar_reaching_past_the_served_years_stops_at_2100(sim):
    days = http(sim, "GET", "/v2/calendar", params={"start": "2100-12-01", "end": "9999-12-31"}).json()
    assert days[0]["date"].startswith("2100-12-") and days[-1]["date"].startswith("2100-12-")
    v3 = http(sim, "GET", "/v3/calendar/XNYS", params={"start": "2100-12-01", "end": "9999-12-31"}).json()
    assert [d["date"] for d in v3["calendar"]] == [d["date"] for d in days]
    assert "invalid start" in alpaca_error(http(sim, "GET", "/v2/calendar", params={"start": "99999-01-01"}), 422)


@pytest.mark.parametrize("after,until", [("9999-12-31T23:59:59-12:00", None), ("0001-01-01T00:00:00+14:00", None),
                                         (None, "0001-01-01"), (None, "9999-12-31")])
def test_far_off_times_in_order_and_activity_queries(sim, after, until):
    params = {k: v for k, v in (("after", after), ("until", until)) if v}
    assert http(sim, "GET", "/v2/orders", params={**params, "status": "all"}).status_code == 200
    assert http(sim, "GET", "/v2/account/activities/FILL", params=params).status_code == 200


# ---- closing a position follows the order quantity rules -----------------------------------------

@pytest.mark.parametrize("qty", ["0.00000000000000000001", "0", "-1", "51", "1e500000", "abc"])
def test_closing_a_position_refuses_what_an_order_would(sim, qty):
    hold(sim, "AAPL", 50)
    closing = http(sim, "DELETE", "/v2/positions/AAPL", params={"qty": qty})
    order = http(sim, "POST", "/v2/orders", json={**ORDER, "side": "sell", "qty": qty})
    assert closing.status_code in (403, 422)
    assert (closing.status_code, closing.json()) == (order.status_code, order.json())
    assert http(sim, "GET", "/v2/positions/AAPL").json()["qty"] == "50"


@pytest.mark.parametrize("params", [{"percentage": "0"}, {"percentage": "100.5"}, {"percentage": "1e500000"},
                                    {"percentage": "-5"}, {"qty": "1", "percentage": "50"}])
def test_closing_a_position_with_a_bad_percentage(sim, params):
    hold(sim, "AAPL", 50)
    alpaca_error(http(sim, "DELETE", "/v2/positions/AAPL", params=params), 422, 42210000)
    assert http(sim, "GET", "/v2/positions/AAPL").json()["qty"] == "50"


def test_closing_part_of_a_position_still_works(sim):
    hold(sim, "AAPL", 50)
    assert http(sim, "DELETE", "/v2/positions/AAPL", params={"qty": "20"}).status_code == 200
    wait_for(lambda: http(sim, "GET", "/v2/positions/AAPL").json()["qty"] == "30")
    assert http(sim, "DELETE", "/v2/positions/AAPL", params={"percentage": "100"}).status_code == 200
    wait_for(lambda: http(sim, "GET", "/v2/positions/AAPL").status_code == 404)


# ---- malformed stream messages -------------------------------------------------------------------

async def recv_json(ws, timeout: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


@pytest.mark.parametrize("message", [
    {"action": "authenticate", "data": ["key", "secret"]},
    {"action": "authenticate", "data": {"key_id": 5, "secret_key": SECRET}},
    {"action": "authenticate"},
    {"action": "auth", "key": ["k"], "secret": {"s": 1}},
    "not json at all",
    [AUTH],
    "[" * 5000,
])
async def test_malformed_authentication_is_answered_then_closed(sim, message):
    async with connect(sim.stream_url) as ws:
        await ws.send(message if isinstance(message, str) else json.dumps(message))
        reply = await recv_json(ws)
        assert reply == {"stream": "authorization", "data": {"status": "unauthorized", "action": "authenticate",
                                                             "message": "invalid syntax"}}
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008  # a clean close, with a reason
    async with connect(sim.stream_url) as ws:  # the server is fine: the next client gets in
        await ws.send(json.dumps(AUTH))
        assert (await recv_json(ws))["data"]["status"] == "authorized"


async def test_malformed_listen_messages_get_an_error_and_the_socket_stays_usable(sim):
    async with connect(sim.stream_url) as ws:
        await ws.send(json.dumps(AUTH))
        assert (await recv_json(ws))["data"]["status"] == "authorized"
        for bad in ({"action": "listen", "data": ["trade_updates"]}, {"action": "listen", "data": {"streams": 5}},
                    {"action": "listen", "data": {}}, {"action": "listen"}, [LISTEN], "{not json", "[" * 5000,
                    b"\xff\xfe\x00"):
            await ws.send(bad if isinstance(bad, (str, bytes)) else json.dumps(bad))
            assert await recv_json(ws) == {"stream": "listening", "data": {"error": "invalid syntax"}}
        await ws.send(json.dumps(LISTEN))
        assert await recv_json(ws) == {"stream": "listening", "data": {"streams": ["trade_updates"]}}
        await asyncio.to_thread(http, sim, "POST", "/v2/orders", json=ORDER)
        event = await recv_json(ws)
        assert event["stream"] == "trade_updates" and event["data"]["order"]["symbol"] == "AAPL"


async def test_an_oversized_stream_frame_closes_the_socket_cleanly(sim):
    async with connect(sim.stream_url, max_size=None) as ws:
        await ws.send(json.dumps(AUTH))
        assert (await recv_json(ws))["data"]["status"] == "authorized"
        await ws.send("x" * 100_000)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


# ---- fuzz: random JSON in every field of an order -------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
NUMBERS = st.sampled_from(["1", "0.5", "100", "-3", "1e30", "0.001", 2.5, 1e308, 10**30, "1.123456789123"])


# Valid orders of each kind; the fuzz replaces a few fields of one with anything at all, so
# bodies get past the first checks and reach the deep ones (increments, classes, the engine).
BASES = [
    ORDER,
    {**ORDER, "qty": "0.5"},
    {**ORDER, "qty": None, "notional": "150"},
    {**ORDER, "side": "sell", "qty": "5"},
    {**ORDER, "type": "limit", "limit_price": "100", "time_in_force": "gtc", "extended_hours": True},
    {**ORDER, "type": "stop_limit", "stop_price": "300", "limit_price": "301"},
    {**ORDER, "type": "trailing_stop", "trail_percent": "2", "time_in_force": "gtc"},
    {**ORDER, "type": "limit", "limit_price": "100", "order_class": "bracket",
     "take_profit": {"limit_price": "400"}, "stop_loss": {"stop_price": "50", "limit_price": "49"}},
    {**ORDER, "side": "sell", "type": "limit", "limit_price": "400", "order_class": "oco",
     "take_profit": {"limit_price": "400"}, "stop_loss": {"stop_price": "50"}},
]
FIELDS = ["symbol", "qty", "notional", "side", "type", "order_type", "time_in_force", "limit_price", "stop_price",
          "trail_price", "trail_percent", "extended_hours", "client_order_id", "order_class", "take_profit",
          "stop_loss", "position_intent"]
PLAUSIBLE = st.sampled_from(["AAPL", "ZZZZ", "buy", "sell", "market", "limit", "stop", "trailing_stop", "day",
                             "gtc", "opg", "cls", "ioc", "fok", "bracket", "oco", "oto", "simple", "sell_to_close",
                             "", "true", "False", {"limit_price": "1e30"}, {"stop_price": 0.001}])
ANY_VALUE = st.one_of(NUMBERS, PLAUSIBLE, JSON_VALUES)
ORDER_BODIES = st.builds(lambda base, changes: {**base, **changes}, st.sampled_from(BASES),
                         st.dictionaries(st.sampled_from(FIELDS), ANY_VALUE, min_size=1, max_size=3))


def test_fuzzed_order_bodies_never_get_a_5xx(sim):
    session = requests.Session()
    session.headers.update(HEADERS)

    @settings(max_examples=examples(300, 5000), deadline=None, database=None,  # derandomized unless thorough
              suppress_health_check=list(HealthCheck))
    @given(ORDER_BODIES)
    def check(body: dict[str, Any]) -> None:
        answer = session.post(sim.url + "/v2/orders", data=json.dumps(body), timeout=10,
                              headers={"Content-Type": "application/json"})
        assert answer.status_code < 500, (body, answer.text)
        if answer.status_code >= 400:
            assert isinstance(answer.json()["code"], int), answer.text

    check()
