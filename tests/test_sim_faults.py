"""Fault injection (tui/sim/faults.py): REST latency and 500/503/504 failures, stream drops,
the /sim/faults control endpoint and the CLI flags — all over real HTTP and websockets.
Also the client_order_id guarantees a client leans on to retry safely under failures."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tui.cli import build_parser, server_options
from tui.sim.faults import FaultOptions

from .conftest import KEY, SECRET, SimHandle

HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}
AUTH = {"action": "authenticate", "data": {"key_id": KEY, "secret_key": SECRET}}
LISTEN = {"action": "listen", "data": {"streams": ["trade_updates"]}}
FAILED = {500, 503, 504}


@pytest.fixture
def faulty(make_sim) -> Callable[..., SimHandle]:
    """Start simulators with fault options (still prices, no partial fills, no rate limit unless asked)."""

    def start(*, seed: int = 1, rate_limit: int = 0, api_key: str | None = None, secret_key: str | None = None,
              **faults: Any) -> SimHandle:
        return make_sim(seed=seed, rate_limit=rate_limit, api_key=api_key, secret_key=secret_key,
                        faults=FaultOptions(**faults))

    return start


def http(sim: SimHandle, method: str, path: str, headers: dict[str, str] | None = HEADERS,
         **kwargs: Any) -> requests.Response:
    return requests.request(method, sim.url + path, headers=headers, timeout=10, **kwargs)


def set_faults(sim: SimHandle, **body: Any) -> dict[str, Any]:
    r = http(sim, "POST", "/sim/faults", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def order_body(client_order_id: str, **fields: Any) -> dict[str, Any]:
    return {"symbol": "AAPL", "qty": "1", "side": "buy", "type": "limit", "limit_price": "1",
            "time_in_force": "gtc", "client_order_id": client_order_id, **fields}


def by_client_id(sim: SimHandle, client_order_id: str) -> requests.Response:
    return http(sim, "GET", "/v2/orders:by_client_order_id", params={"client_order_id": client_order_id})


@contextmanager
def listening(sim: SimHandle) -> Iterator[ClientConnection]:
    """A trade_updates connection, authenticated and listening (docs/api-facts.md §7)."""
    with connect(sim.stream_url, open_timeout=5) as ws:
        ws.send(json.dumps(AUTH))
        assert json.loads(ws.recv(timeout=5))["data"]["status"] == "authorized"
        ws.send(json.dumps(LISTEN))
        assert json.loads(ws.recv(timeout=5))["stream"] == "listening"
        yield ws


def wait_closed(ws: ClientConnection, timeout: float) -> tuple[int | None, float]:
    """Read until the server closes the connection; the close code and when it came."""
    deadline = time.monotonic() + timeout
    try:
        while True:
            ws.recv(timeout=max(0.01, deadline - time.monotonic()))
    except ConnectionClosed as closed:
        return (closed.rcvd.code if closed.rcvd else None), time.monotonic()
    except TimeoutError:
        raise AssertionError(f"the stream was not closed within {timeout}s") from None


# ---- latency ------------------------------------------------------------------------------

def test_latency_delays_answers_but_requests_stay_concurrent(faulty):
    sim = faulty(latency_ms=300)
    started = time.monotonic()
    assert http(sim, "GET", "/v2/account").status_code == 200
    assert time.monotonic() - started >= 0.29

    results: list[tuple[int, float]] = []

    def get(path: str) -> None:
        r = http(sim, "GET", path)
        results.append((r.status_code, time.monotonic()))

    threads = [threading.Thread(target=get, args=(path,)) for path in ("/v2/account", "/v2/positions")]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert [status for status, _ in results] == [200, 200]
    assert all(done - started >= 0.29 for _, done in results)
    assert max(done for _, done in results) - started < 0.5  # in parallel, not one after the other

    started = time.monotonic()  # the simulator's own endpoints are not slowed down
    assert http(sim, "GET", "/sim/faults").status_code == 200
    assert time.monotonic() - started < 0.2


def test_latency_does_not_delay_the_stream(faulty):
    sim = faulty(latency_ms=1000)
    answered: list[float] = []

    def post() -> None:
        assert http(sim, "POST", "/v2/orders", json=order_body("slow-1")).status_code == 200
        answered.append(time.monotonic())

    started = time.monotonic()
    with listening(sim) as ws:
        assert time.monotonic() - started < 0.5  # handshake, authorization and listen: no latency
        poster = threading.Thread(target=post)
        sent = time.monotonic()
        poster.start()
        event = json.loads(ws.recv(timeout=5))
        streamed = time.monotonic()
        poster.join(timeout=5)
    assert event["data"]["event"] == "pending_new" and event["data"]["order"]["client_order_id"] == "slow-1"
    # Half the latency before the order is handled, half after: the event comes while the answer is on its way.
    assert 0.45 <= streamed - sent < 0.9
    assert answered and answered[0] - sent >= 0.99 and streamed < answered[0]


# ---- failures -----------------------------------------------------------------------------

def test_fail_rate_one_fails_every_api_request_and_zero_none(faulty):
    sim = faulty(fail_rate=1.0)
    paths = ["/v2/account", "/v2/positions", "/v2/orders", "/v2/clock", "/v3/clock",
             "/v2/stocks/AAPL/quotes/latest"]
    statuses = [http(sim, "GET", paths[i % len(paths)]).status_code for i in range(36)]
    assert set(statuses) == FAILED  # only these three, and each of them at some point
    state = http(sim, "GET", "/sim/faults").json()
    assert sum(state["injected"].values()) == 36
    assert state["injected"] == {str(s): statuses.count(s) for s in (500, 503, 504)}

    assert set_faults(sim, fail_rate=0)["fail_rate"] == 0
    assert {http(sim, "GET", paths[i % len(paths)]).status_code for i in range(36)} == {200}


def test_failure_bodies_look_like_a_server_or_gateway_error(faulty):
    sim = faulty(fail_rate=1.0, fail_statuses=(500,))
    r = http(sim, "GET", "/v2/account")
    assert (r.status_code, r.json()) == (500, {"code": 50010000, "message": "internal server error"})

    set_faults(sim, fail_statuses=[503])
    r = http(sim, "GET", "/v2/account")
    assert (r.status_code, r.json()) == (503, {"message": "service unavailable"})

    set_faults(sim, fail_statuses=[504])
    r = http(sim, "GET", "/v2/account")
    assert r.status_code == 504 and r.headers["Content-Type"].startswith("text/html")
    assert "504 Gateway Time-out" in r.text
    with pytest.raises(ValueError):
        json.loads(r.text)  # what alpaca-py's APIError.code would trip over


@pytest.mark.parametrize("status,took_effect", [(504, True), (500, False), (503, False)])
def test_a_504_order_took_effect_and_a_500_or_503_did_not(faulty, status, took_effect):
    sim = faulty(fail_rate=1.0, fail_statuses=(status,))
    assert http(sim, "POST", "/v2/orders", json=order_body("ambiguous-1")).status_code == status
    set_faults(sim, fail_rate=0)
    found = by_client_id(sim, "ambiguous-1")
    if took_effect:
        assert found.status_code == 200 and found.json()["status"] in ("pending_new", "new")
        retry = http(sim, "POST", "/v2/orders", json=order_body("ambiguous-1"))  # a client retrying blindly
        assert retry.status_code == 422 and retry.json()["message"] == "client_order_id must be unique"
    else:
        assert (found.status_code, found.json()) == (404, {"code": 40410000, "message": "order not found"})
        assert http(sim, "POST", "/v2/orders", json=order_body("ambiguous-1")).status_code == 200
    orders = http(sim, "GET", "/v2/orders").json()
    assert [o["client_order_id"] for o in orders] == ["ambiguous-1"]  # exactly one order either way


def test_a_504_cancel_took_effect_too(faulty):
    sim = faulty()
    order = http(sim, "POST", "/v2/orders", json=order_body("to-cancel")).json()
    set_faults(sim, fail_rate=1, fail_statuses=[504])
    assert http(sim, "DELETE", f"/v2/orders/{order['id']}").status_code == 504
    set_faults(sim, fail_rate=0)
    assert by_client_id(sim, "to-cancel").json()["status"] == "canceled"


def test_sim_endpoints_and_the_stream_are_never_failed(faulty):
    sim = faulty(fail_rate=1.0)
    for _ in range(20):
        r = http(sim, "POST", "/sim/price", json={"symbol": "AAPL", "price": 200})
        assert r.status_code == 200 and r.json()["symbol"] == "AAPL"
        assert http(sim, "GET", "/sim/faults").status_code == 200
    for _ in range(3):
        with listening(sim):  # handshake, authorization and listen all answered
            pass

    # An order answered 504 still reaches the stream.
    set_faults(sim, fail_statuses=[504])
    with listening(sim) as ws:
        assert http(sim, "POST", "/v2/orders", json=order_body("streamed-1")).status_code == 504
        event = json.loads(ws.recv(timeout=5))
    assert event["stream"] == "trade_updates" and event["data"]["event"] == "pending_new"
    assert event["data"]["order"]["client_order_id"] == "streamed-1"


def test_failed_requests_count_against_the_rate_limit(faulty):
    sim = faulty(rate_limit=3, fail_rate=1.0)
    answers = [http(sim, "GET", "/v2/account") for _ in range(3)]
    assert all(r.status_code in FAILED for r in answers)
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0"]
    r = http(sim, "GET", "/v2/account")
    assert (r.status_code, r.json()["code"]) == (429, 42910000)


def test_faults_are_deterministic_for_a_seed(faulty):
    def statuses(seed: int) -> list[int]:
        sim = faulty(seed=seed, fail_rate=0.5)
        return [http(sim, "GET", "/v2/clock").status_code for _ in range(40)]

    first, again, other = statuses(5), statuses(5), statuses(6)
    assert first == again
    assert first != other
    assert 200 in first and FAILED & set(first)


def test_faults_leave_the_seeds_prices_and_ids_alone(faulty):
    """The fault RNG is apart from the engine's: failed requests do not shift ids or prices."""
    def first_order(**faults: Any) -> tuple[int, tuple[str, str, Any]]:
        sim = faulty(seed=9, **faults)
        for attempt in range(50):
            r = http(sim, "POST", "/v2/orders", json=order_body(f"try-{attempt}"))
            if r.status_code == 200:
                break
        else:
            raise AssertionError("no order went through")
        set_faults(sim, fail_rate=0)
        account = http(sim, "GET", "/v2/account").json()
        quote = http(sim, "GET", "/v2/stocks/MSFT/quotes/latest").json()["quote"]
        return attempt, (account["id"], r.json()["id"], (quote["bp"], quote["ap"]))

    _, plain = first_order()
    failures, failing = first_order(fail_rate=0.7, fail_statuses=(500, 503))
    assert failures > 0  # some requests did fail first
    assert plain == failing


# ---- stream drops -------------------------------------------------------------------------

def test_drop_stream_every_closes_connections_and_clients_can_reconnect(faulty):
    sim = faulty(drop_stream_every=0.5)
    for _ in range(2):  # the dropped connection no longer counts against the one-per-key limit
        with listening(sim) as ws:
            connected = time.monotonic()
            code, closed_at = wait_closed(ws, timeout=2.0)
        assert code == 1011
        assert closed_at - connected < 0.8  # within one period (plus slack)
    assert http(sim, "GET", "/sim/faults").json()["stream_drops"] >= 2


def test_stream_drops_can_be_switched_on_and_off_at_runtime(faulty):
    sim = faulty()
    with listening(sim) as ws:
        assert set_faults(sim, drop_stream_every=0.3)["drop_stream_every"] == 0.3
        switched = time.monotonic()
        code, closed_at = wait_closed(ws, timeout=2.0)
    assert code == 1011 and closed_at - switched < 0.7

    assert set_faults(sim, drop_stream_every=None)["drop_stream_every"] is None
    with listening(sim) as ws:
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.8)  # nothing arrives and nothing closes it


# ---- the control endpoint -----------------------------------------------------------------

def test_control_endpoint_reports_and_changes_settings(faulty):
    sim = faulty(latency_ms=5, fail_rate=0.25, drop_stream_every=30)
    assert http(sim, "GET", "/sim/faults").json() == {
        "latency_ms": 5, "fail_rate": 0.25, "drop_stream_every": 30, "fail_statuses": [500, 503, 504],
        "injected": {"500": 0, "503": 0, "504": 0}, "stream_drops": 0,
    }
    state = set_faults(sim, fail_rate=0.5)  # only what is given changes
    assert (state["latency_ms"], state["fail_rate"], state["drop_stream_every"]) == (5, 0.5, 30)
    state = set_faults(sim, latency_ms=None, fail_rate=0, drop_stream_every=0, fail_statuses=[504, 500])
    assert (state["latency_ms"], state["fail_rate"], state["drop_stream_every"], state["fail_statuses"]) == (
        0, 0, None, [500, 504])
    assert set_faults(sim, fail_statuses=None)["fail_statuses"] == [500, 503, 504]


@pytest.mark.parametrize("body,message", [
    ({"fail_rate": 1.5}, "fail_rate must be a number from 0 to 1"),
    ({"fail_rate": -0.1}, "fail_rate must be a number from 0 to 1"),
    ({"fail_rate": "0.5"}, "fail_rate must be a number or null"),
    ({"latency_ms": -1}, "latency_ms must be a number of milliseconds"),
    ({"latency_ms": True}, "latency_ms must be a number or null"),
    ({"drop_stream_every": -2}, "drop_stream_every must be a number of seconds > 0"),
    ({"fail_statuses": [502]}, "fail_statuses must be a non-empty list"),
    ({"fail_statuses": []}, "fail_statuses must be a non-empty list"),
    ({"fail_statuses": "504"}, "fail_statuses must be a list"),
    ({"fail_rat": 1}, "unknown field 'fail_rat'"),
    ([1], "body must be a JSON object"),
])
def test_control_endpoint_refuses_bad_values(faulty, body, message):
    sim = faulty(fail_rate=0.1)
    r = http(sim, "POST", "/sim/faults", json=body)
    assert r.status_code == 400 and message in r.json()["message"]
    assert http(sim, "GET", "/sim/faults").json()["fail_rate"] == 0.1  # nothing changed


def test_control_endpoint_refuses_a_malformed_body(faulty):
    sim = faulty()
    r = http(sim, "POST", "/sim/faults", data="{not json")
    assert r.status_code == 400 and r.json()["message"] == "request body format is invalid"


def test_control_endpoint_needs_the_keys_like_the_api(faulty):
    sim = faulty(api_key=KEY, secret_key=SECRET)
    r = http(sim, "POST", "/sim/faults", headers={}, json={"fail_rate": 1})
    assert (r.status_code, r.json()["code"]) == (401, 40110000)
    assert http(sim, "GET", "/sim/faults").json()["fail_rate"] == 0
    assert set_faults(sim, fail_rate=1)["fail_rate"] == 1


# ---- client_order_id: what makes retrying under failures safe -----------------------------

def test_a_reused_client_order_id_is_refused_and_the_order_can_be_found(faulty):
    sim = faulty()
    first = http(sim, "POST", "/v2/orders", json=order_body("once-only"))
    assert first.status_code == 200
    again = http(sim, "POST", "/v2/orders", json=order_body("once-only", limit_price="2"))
    body = again.json()
    # docs/api-facts.md §4: 422 with 42210000 (also seen: 40010001) and this message.
    assert again.status_code == 422 and body["code"] in (42210000, 40010001)
    assert body["message"] == "client_order_id must be unique"
    found = by_client_id(sim, "once-only")
    assert found.status_code == 200 and found.json()["id"] == first.json()["id"]
    missing = by_client_id(sim, "never-sent")
    assert (missing.status_code, missing.json()) == (404, {"code": 40410000, "message": "order not found"})


# ---- the command line ---------------------------------------------------------------------

def test_flags_reach_the_server_options():
    args = build_parser().parse_args(["sim", "--latency-ms", "250", "--fail-rate", "0.2",
                                      "--drop-stream-every", "7.5", "--seed", "3"])
    options = server_options(args)
    assert options.faults == FaultOptions(latency_ms=250, fail_rate=0.2, drop_stream_every=7.5)
    assert server_options(build_parser().parse_args(["sim"])).faults == FaultOptions()
    only_504 = build_parser().parse_args(["sim", "--fail-rate", "1", "--fail-statuses", "504,504"])
    assert server_options(only_504).faults == FaultOptions(fail_rate=1, fail_statuses=(504,))


@pytest.mark.parametrize("flags,message", [
    (["--fail-rate", "1.5"], "must be a number from 0 to 1"),
    (["--fail-rate", "-0.5"], "must be a number from 0 to 1"),
    (["--fail-rate", "half"], "not a number"),
    (["--latency-ms", "-1"], "must be a number from 0 to"),
    (["--drop-stream-every", "0"], "must be a number > 0"),
    (["--drop-stream-every", "nan"], "must be a number > 0"),
    (["--fail-statuses", "502"], "a comma-separated list drawn from 500, 503 and 504"),
    (["--fail-statuses", "500,,503"], "a comma-separated list drawn from 500, 503 and 504"),
])
def test_bad_fault_flags_are_clear_errors(capsys, flags, message):
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["sim", *flags])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
