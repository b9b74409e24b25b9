"""`python -m tui sim` as a real process: start-up line, signals, restarts, flags."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests
from websockets.sync.client import connect

from tui import __version__

from .conftest import KEY, SECRET
from .harness.simulator import SimulatorProcess

ROOT = Path(__file__).resolve().parent.parent
HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}


@pytest.fixture
def run() -> Iterator:
    """Start `alpaca-tui sim --port PORT FLAGS` processes (not yet waited for); all ended after the test."""
    started: list[SimulatorProcess] = []

    def start(*flags: str, port: str = "0") -> SimulatorProcess:
        sim = SimulatorProcess(*flags, port=port)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.kill()
        sim.close()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)


# ---- start and stop -----------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_prints_the_address_then_stops_cleanly_on_a_signal(run, sig):
    sim = run()
    port = sim.wait_listening()
    assert port > 0
    assert sim.get("/v2/clock").json()["is_open"] is True  # accepting as soon as it says so
    started = time.monotonic()
    assert sim.stop(sig) == 0
    assert time.monotonic() - started < 5
    assert "Traceback" not in sim.stderr_text()


def test_a_signal_right_after_the_address_line_is_still_a_clean_stop(run):
    sim = run()
    sim.wait_listening()
    assert sim.stop(signal.SIGTERM) == 0


def test_stops_promptly_with_a_stream_client_connected(run):
    sim = run()
    port = sim.wait_listening()
    with connect(f"ws://127.0.0.1:{port}/stream") as ws:
        ws.send(json.dumps({"action": "auth", "key": KEY, "secret": SECRET}))
        assert json.loads(ws.recv(timeout=5))["data"]["status"] == "authorized"
        ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
        ws.recv(timeout=5)
        started = time.monotonic()
        assert sim.stop(signal.SIGTERM) == 0
        assert time.monotonic() - started < 5


def test_restarts_on_the_same_port_right_away(run):
    first = run()
    port = first.wait_listening()
    session = requests.Session()  # a kept-alive connection, as clients hold
    assert session.get(first.url + "/v2/account", timeout=5).status_code == 200
    assert first.stop() == 0
    second = run(port=str(port))
    assert second.wait_listening() == port
    assert second.get("/v2/account").status_code == 200
    assert second.stop() == 0


def test_a_port_in_use_is_a_clear_error(run):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        sim = run(port=str(taken.getsockname()[1]))
        assert sim.proc.wait(timeout=15) == 1
        assert "cannot listen on 127.0.0.1:" in sim.stderr_text()


# ---- flags ----------------------------------------------------------------------------------

def test_api_keys_are_enforced(run):
    sim = run("--api-key", KEY, "--secret-key", SECRET)
    sim.wait_listening()
    assert sim.get("/v2/account").status_code == 401
    assert sim.get("/v2/account", headers={**HEADERS, "APCA-API-SECRET-KEY": "x"}).status_code == 401
    assert sim.get("/v2/account", headers=HEADERS).status_code == 200
    with connect(f"ws://127.0.0.1:{sim.port}/stream") as ws:
        ws.send(json.dumps({"action": "auth", "key": KEY, "secret": "x"}))
        assert json.loads(ws.recv(timeout=5))["data"]["status"] == "unauthorized"


def test_one_key_without_the_other_is_refused():
    result = cli("sim", "--port", "0", "--api-key", KEY)
    assert result.returncode != 0
    assert "--api-key and --secret-key" in result.stderr


def fingerprint(*flags: str) -> tuple:
    """What a client sees first from a fresh simulator: account ids, prices, a new order's id."""
    with SimulatorProcess("--prices", "static", *flags) as sim:
        account = sim.get("/v2/account").json()
        quotes = sim.get("/v2/stocks/quotes/latest", params={"symbols": "AAPL,SPY,KO"}).json()["quotes"]
        order = requests.post(sim.url + "/v2/orders", timeout=5, json={
            "symbol": "AAPL", "qty": 1, "side": "buy", "type": "limit", "limit_price": 1, "time_in_force": "gtc"}).json()
        return (account["id"], account["account_number"], order["id"], order["client_order_id"],
                {s: (q["bp"], q["ap"]) for s, q in quotes.items()})


def test_seed_makes_runs_reproducible():
    one, again, other = fingerprint("--seed", "7"), fingerprint("--seed", "7"), fingerprint("--seed", "8")
    assert one == again
    assert one[0] != other[0] and one[2] != other[2] and one[4] != other[4]


@pytest.mark.parametrize("flags,message", [
    (["--port", "abc"], "not a whole number"),
    (["--port", "-1"], "must be ≥ 0"),
    (["--port", "70000"], "not a port (0-65535)"),
    (["--market", "moon"], "invalid choice"),
    (["--pdt", "maybe"], "invalid choice"),
    (["--cash", "-5"], "must be a number ≥ 0"),
    (["--cash", "lots"], "not a number"),
    (["--start-at", "yesterday"], "not an ISO 8601 time"),
    (["--rate-limit", "1.5"], "not a whole number"),
    (["--quote-rate", "0"], "above 0 and at most 20"),
    (["--quote-rate", "50"], "from 0 to 20"),
    (["--bogus"], "unrecognized arguments"),
])
def test_bad_flags_are_clear_errors(flags, message):
    result = cli("sim", *flags)
    assert result.returncode == 2
    assert message in result.stderr and "usage:" in result.stderr
    assert "Traceback" not in result.stderr


def quotes_per_second(sim: SimulatorProcess, symbol: str, seconds: float) -> float:
    """Quotes for `symbol` a second on the data stream, counted over `seconds`."""
    with connect(f"ws://127.0.0.1:{sim.port}/v2/iex") as ws:
        assert json.loads(ws.recv(timeout=5))[0]["msg"] == "connected"
        ws.send(json.dumps({"action": "auth", "key": KEY, "secret": SECRET}))
        assert json.loads(ws.recv(timeout=5))[0]["msg"] == "authenticated"
        ws.send(json.dumps({"action": "subscribe", "quotes": [symbol]}))
        assert json.loads(ws.recv(timeout=5))[0]["T"] == "subscription"
        count, end = 0, time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                frame = ws.recv(timeout=left)
            except TimeoutError:
                break
            count += sum(1 for m in json.loads(frame) if m["T"] == "q" and m["S"] == symbol)
    return count / seconds


def test_quote_rate_sets_how_many_quotes_a_symbol_gets_a_second(run):
    fast, default = run("--quote-rate", "10"), run()
    fast.wait_listening()
    default.wait_listening()
    assert 8 <= quotes_per_second(fast, "AAPL", 3) <= 11
    assert 0.5 <= quotes_per_second(default, "AAPL", 3) <= 1.4


def test_version():
    result = cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"alpaca-tui {__version__}"


def test_start_at_sets_the_simulated_clock(run):
    sim = run("--market", "nyse", "--start-at", "2026-11-26T12:00")
    sim.wait_listening()
    clock = sim.get("/v2/clock").json()
    assert clock["timestamp"].startswith("2026-11-26T12:00") and clock["is_open"] is False
    assert clock["next_open"] == "2026-11-27T09:30:00-05:00"
