"""Times and text from outside the broker layer are bounded before use: an absurd time in
the journal cannot stop the settling, and a server's words reach the screen as plain text."""

from __future__ import annotations

import json

from tui.broker.delivery import Dispatcher
from tui.broker.errors import describe
from tui.broker.journal import Journal
from tui.broker.stream import TradeUpdatesStream


class NoServer:
    """Settling must not reach the server for an intent whose time cannot be read."""

    budget = None

    def orders_since(self, *args):
        raise AssertionError("asked the server with an unreadable time")


def test_an_absurd_time_in_the_journal_is_settled_as_unknowable_not_a_crash(tmp_path):
    path = tmp_path / "audit.jsonl"
    journal = Journal(path, mode="paper", endpoint="e")
    for n, ts in enumerate(["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", 12, None]):
        path.open("a").write(json.dumps({"ts": ts, "event": "intent", "intent": f"i{n}", "action": "close",
                                         "mode": "paper", "endpoint": "e", "what": {"symbol": "AAPL"}}) + "\n")
    settled = Dispatcher(NoServer(), journal).settle_pending()
    assert [answer for _, answer in settled] == ["cannot tell (the journal line has no time)"] * 4


def test_a_servers_error_message_is_plain_one_line_text():
    from alpaca.common.exceptions import APIError
    import requests

    response = requests.Response()
    response.status_code = 403
    response._content = json.dumps({"code": 40310000, "message": "no\x1b[2J\x1b]0;pwned\x07 buying\npower\u202e"}).encode()
    problem = describe(APIError(response.text, requests.HTTPError(response=response)))
    assert problem.message == "no buying power" and problem.code == 40310000


def test_a_stream_refusal_reason_is_plain_text():
    stream = TradeUpdatesStream("ws://127.0.0.1:9/stream", "k", "s3cr3t", lambda _: None, lambda *_: None)
    assert stream._server_text("limit\x1b[31m exceeded\r\n", "x") == "limit exceeded"
    assert stream._server_text("echo s3cr3t", "keys refused") == "keys refused"
    assert stream._server_text("\x1b[2J", "keys refused") == "keys refused"
