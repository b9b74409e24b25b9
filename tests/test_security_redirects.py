"""No redirect is followed, on the stream or in REST: the keys go to the configured host
and nowhere else."""

from __future__ import annotations

import pytest

from tui.broker.client import Broker
from tui.broker.errors import describe
from tui.broker.stream import StreamState, TradeUpdatesStream

from .conftest import KEY, SECRET, wait_for
from .hostile import hostile  # noqa: F401  (the fixture)
from .ui_support import config_for


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_the_stream_does_not_follow_a_redirect_with_the_keys(hostile, status):
    elsewhere = hostile()
    fake = hostile()
    fake.redirect_stream(elsewhere.url + "/stream", status)
    states: list[tuple[StreamState, str]] = []
    stream = TradeUpdatesStream(fake.stream_url, KEY, SECRET, lambda _: None, lambda s, d: states.append((s, d)),
                                backoff_min=0.05, backoff_max=0.1)
    stream.start()
    try:
        wait_for(lambda: elsewhere.stream_received or sum(1 for s, _ in states if s is StreamState.DISCONNECTED) >= 2)
    finally:
        stream.stop()
    assert elsewhere.requests == [] and elsewhere.stream_received == []
    assert fake.stream_received == []  # nothing sent on the refused upgrade either
    detail = next(d for s, d in states if s is StreamState.DISCONNECTED)
    assert "redirect" in detail and str(status) in detail and SECRET not in detail


def test_the_stream_still_connects_without_a_redirect(hostile):
    fake = hostile()
    states: list[StreamState] = []
    stream = TradeUpdatesStream(fake.stream_url, KEY, SECRET, lambda _: None, lambda s, d: states.append(s))
    stream.start()
    try:
        wait_for(lambda: StreamState.LISTENING in states)
    finally:
        stream.stop()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_rest_does_not_follow_a_redirect_and_says_so(hostile, make_sim, status):
    elsewhere = hostile()
    fake = hostile(upstream=make_sim().url)
    fake.answer("GET", "/v2/account", status=status, redirect=elsewhere.url + "/v2/account")
    fake.answer("POST", "/v2/orders", status=status, redirect=elsewhere.url + "/v2/orders")
    broker = Broker(config_for(fake.url))
    with pytest.raises(Exception) as failed:
        broker.account()
    problem = describe(failed.value)
    assert "redirect" in problem.message and elsewhere.url not in problem.message
    assert not problem.is_rejection  # not the server refusing the request on its merits
    from alpaca.trading.requests import MarketOrderRequest

    with pytest.raises(Exception):
        broker.submit(MarketOrderRequest(symbol="AAPL", qty=1, side="buy", time_in_force="day"))
    assert elsewhere.requests == []
    assert broker.clock() is not None  # the other paths still work
