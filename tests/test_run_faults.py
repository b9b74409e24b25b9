"""The app as a process against `alpaca-tui sim` with faults: keys answer and q quits at
once while every request hangs, and the secret key shows up in nothing the app writes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .test_run_modes import ROOT, Terminal, terminal_env

SECRET = "sEcReT-9f3e2d1c0b"  # distinctive, so any copy of it is found


@pytest.fixture
def sim_process(tmp_path):
    """`alpaca-tui sim` in its own process; yields a function that starts it with extra flags."""
    started: list[subprocess.Popen] = []

    def start(*flags: str) -> str:
        proc = subprocess.Popen([sys.executable, "-m", "tui", "sim", "--port", "0", "--portfolio", "sample",
                                 "--prices", "static", "--api-key", "key-id", "--secret-key", SECRET, *flags],
                                stdout=subprocess.PIPE, text=True, cwd=tmp_path,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        started.append(proc)
        line = proc.stdout.readline()
        assert line.startswith("listening on "), line
        return line.split()[-1]

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def app_env(tmp_path: Path, url: str) -> dict[str, str]:
    return {**terminal_env(), "ALPACA_API_KEY": "key-id", "ALPACA_SECRET_KEY": SECRET, "ALPACA_BASE_URL": url,
            "HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CACHE_HOME": str(tmp_path / "cache")}


def test_with_20s_latency_keys_answer_at_once_and_q_quits_within_2s(tmp_path, sim_process):
    url = sim_process("--latency-ms", "20000")
    term = Terminal([], app_env(tmp_path, url), tmp_path)
    try:
        term.read_until(b"PAPER", b"Account", timeout=10)
        term.type("b")
        assert term.read_until(b"Symbol", timeout=2) < 2  # the ticket, while every request hangs
        term.type("\x1b")
        time.sleep(0.5)  # a lone Esc, not the start of an Alt+key sequence
        term.output = b""
        term.type("?")
        assert term.read_until(b"refresh", timeout=2) < 2  # the help screen
        term.type("\x1b")
        time.sleep(0.5)
        term.type("q")
        started = time.monotonic()
        assert term.wait_exit(5) == 0
        assert time.monotonic() - started < 2
    finally:
        term.kill()


def test_the_secret_key_is_in_nothing_the_app_writes(tmp_path, sim_process):
    url = sim_process()
    (tmp_path / "home").mkdir()
    term = Terminal([], app_env(tmp_path, url), tmp_path, size=(40, 120))
    try:
        term.read_until(b"Positions (6)", b"Orders (3)", timeout=15)
        term.type("b")
        term.read_until(b"Symbol", timeout=5)
        term.type("INTC\t2\r")
        term.read_until(b"Est. cost", timeout=5)
        term.type("y")
        term.read_until(b"Positions (7)", timeout=10)
        term.type("b")
        time.sleep(0.5)
        term.type("SPY\t100000\r")  # far over buying power: the server refuses it
        term.read_until(b"BP after", timeout=5)
        term.type("y")
        term.read_until(b"REJECTED", timeout=10)
        term.type("i")  # the connection view: endpoints and whether keys are set
        term.read_until(b"configured", timeout=5)
        term.type("\x1b")
        time.sleep(0.5)
        term.type("q")
        assert term.wait_exit(5) == 0, term.output[-3000:]
    finally:
        term.kill()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    journal = tmp_path / "data" / "alpaca-tui" / "audit.jsonl"
    assert journal in written and b"tui-" in journal.read_bytes()  # the order and the refusal were journaled
    assert b'"result":"refused"' in journal.read_bytes() and b'"result":"accepted"' in journal.read_bytes()
    assert SECRET.encode() not in term.output
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path


async def test_a_crash_report_leaves_the_secret_out(make_sim, monkeypatch, capfd):
    from tui.config import Config, Mode
    from tui.ui.app import AlpacaApp
    from tui.ui.widgets.account import AccountPane

    sim = make_sim(portfolio="sample")

    def explode(self, account):
        raise RuntimeError("a bug in a pane")

    monkeypatch.setattr(AccountPane, "show", explode)
    from .conftest import KEY

    app = AlpacaApp(Config(Mode.PAPER, sim.url, sim.url, KEY, SECRET))
    with pytest.raises(RuntimeError, match="a bug in a pane"):  # Pilot hands the crash back
        async with app.run_test(size=(80, 24)) as pilot:
            deadline = time.monotonic() + 10
            while app.is_running and time.monotonic() < deadline:
                await pilot.pause(0.1)
    report = capfd.readouterr().err  # Textual prints the traceback, locals and all, to stderr
    assert "a bug in a pane" in report and "locals" in report
    assert SECRET not in report
