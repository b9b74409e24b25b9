"""The hostile fake itself (tests/hostile.py): scripted answers, pass-through to a real
simulator, trickling bodies and headers, redirects, and a websocket that takes pushes."""

from __future__ import annotations

import socket
import time

import requests

from tui.broker.stream import StreamState, TradeUpdatesStream

from .conftest import KEY, SECRET, trading_client, wait_for
from .hostile import hostile  # noqa: F401  (the fixture)

AUTH = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}


def test_scripted_answers_and_pass_through_to_a_simulator(hostile, make_sim):
    sim = make_sim()
    fake = hostile(upstream=sim.url)
    fake.answer("GET", "/v2/clock", status=503, body=b"<html>down</html>", headers={"X-Why": "test"})
    client = trading_client(fake.url)
    assert float(client.get_account().cash) == 100000  # unscripted: the simulator answered
    answer = requests.get(fake.url + "/v2/clock", headers=AUTH, timeout=5)
    assert (answer.status_code, answer.text, answer.headers["X-Why"]) == (503, "<html>down</html>", "test")
    assert fake.paths() == ["/v2/account", "/v2/clock"]
    assert fake.requests[0].headers["APCA-API-KEY-ID"] == KEY


def test_a_rule_can_apply_a_number_of_times_and_unscripted_paths_are_404(hostile):
    fake = hostile()
    fake.answer("GET", "/v2/x", json={"ok": 1}, times=1)
    assert requests.get(fake.url + "/v2/x", timeout=5).json() == {"ok": 1}
    assert requests.get(fake.url + "/v2/x", timeout=5).status_code == 404


def test_redirects_are_answered_not_followed_by_the_fake(hostile):
    fake = hostile()
    fake.answer("GET", "/v2/account", redirect="http://127.0.0.1:9/v2/account")
    answer = requests.get(fake.url + "/v2/account", allow_redirects=False, timeout=5)
    assert answer.status_code == 307 and answer.headers["Location"] == "http://127.0.0.1:9/v2/account"


def test_a_trickled_body_comes_slowly(hostile):
    fake = hostile()
    fake.answer("GET", "/v2/slow", body=b"abcdef", trickle=(2, 0.2))
    started = time.monotonic()
    answer = requests.get(fake.url + "/v2/slow", timeout=5)
    assert answer.content == b"abcdef" and time.monotonic() - started >= 0.4


def test_trickled_headers_come_byte_by_byte(hostile):
    fake = hostile()
    fake.answer("GET", "/v2/slow", status=200, body=b"{}", trickle_headers=(1, 0.05))
    with socket.create_connection(("127.0.0.1", fake.port), timeout=5) as sock:
        sock.sendall(b"GET /v2/slow HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(100)
        time.sleep(0.3)
        rest = sock.recv(100)
    assert first == b"H" and 2 <= len(rest) <= 10  # a few bytes, not the whole answer


def test_the_websocket_authorizes_listens_and_delivers_pushed_frames(hostile):
    fake = hostile()
    updates, states = [], []
    stream = TradeUpdatesStream(fake.stream_url, KEY, SECRET, updates.append, lambda s, d: states.append(s))
    stream.start()
    try:
        wait_for(lambda: StreamState.LISTENING in states)
        fake.push(b"\xff\xfe not json", binary=True)
        fake.push("not json either")
        fake.push({"stream": "trade_updates", "data": {"event": "new", "order": {"id": "o-1"}}})
        wait_for(lambda: updates)
        assert updates == [{"event": "new", "order": {"id": "o-1"}}]
        assert fake.stream_received[0] == {"action": "authenticate", "data": {"key_id": KEY, "secret_key": SECRET}}
        assert fake.stream_received[1]["action"] == "listen"
    finally:
        stream.stop()
