"""The app as a process against `alpaca-tui sim` with faults: keys answer and q quits at
once while every request hangs, and the secret key shows up in nothing the app writes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from .harness.simulator import SimulatorProcess
from .harness.terminal import APP, Terminal, app_env

SECRET = "sEcReT-9f3e2d1c0b"  # distinctive, so any copy of it is found


@pytest.fixture
def sim_process(tmp_path) -> Iterator[Callable[..., str]]:
    """`alpaca-tui sim` in its own process (the sample portfolio, still prices, these keys),
    started in tmp_path; yields a function that starts one with extra flags and returns its URL."""
    started: list[SimulatorProcess] = []

    def start(*flags: str) -> str:
        sim = SimulatorProcess("--portfolio", "sample", "--prices", "static", "--api-key", "key-id",
                               "--secret-key", SECRET, *flags, cwd=tmp_path)
        started.append(sim)
        sim.wait_listening()
        return sim.url

    yield start
    for sim in started:
        sim.close()


def app_in(tmp_path: Path, url: str, columns: int = 80, lines: int = 24) -> Terminal:
    """The app against `url` with these keys, its home and data directories in tmp_path."""
    env = app_env(ALPACA_API_KEY="key-id", ALPACA_SECRET_KEY=SECRET, ALPACA_BASE_URL=url,
                  HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "data"),
                  XDG_STATE_HOME=str(tmp_path / "state"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    return Terminal([*APP], env, cwd=tmp_path, columns=columns, lines=lines)


def closed(term: Terminal, marker: str) -> None:
    """Until `marker` (a dialog's own text) is off the screen: the Esc was taken alone,
    not as the start of an Alt+key sequence, before the next key is typed."""
    assert term.wait_for(lambda text: marker not in text, timeout=5) is not None, term.text()


def test_with_20s_latency_keys_answer_at_once_and_q_quits_within_2s(tmp_path, sim_process):
    url = sim_process("--latency-ms", "20000")
    with app_in(tmp_path, url) as term:
        term.expect("PAPER", "Account", timeout=10)
        term.send("b")
        assert term.expect("BUY order", timeout=2) < 2  # the ticket, while every request hangs
        term.send("\x1b")
        closed(term, "BUY order")
        term.send("?")
        assert term.expect("refresh everything now", timeout=2) < 2  # the help screen
        term.send("\x1b")
        closed(term, "refresh everything now")
        term.send("q")
        started = time.monotonic()
        assert term.wait_exit(5) == 0
        assert time.monotonic() - started < 2


def test_the_secret_key_is_in_nothing_the_app_writes(tmp_path, sim_process):
    url = sim_process()
    (tmp_path / "home").mkdir()
    with app_in(tmp_path, url, columns=120, lines=40) as term:
        term.expect("Positions (6)", "Orders (3)", timeout=15)
        term.send("b")
        term.expect("BUY order", timeout=5)
        term.send("INTC\t2\r")
        term.expect("Est. cost", timeout=5)
        term.send("y")
        term.expect("Positions (7)", timeout=10)
        term.send("b")
        term.expect("BUY order", timeout=5)
        term.send("SPY\t100000\r")  # far over buying power: the server refuses it
        term.expect("BP after", timeout=5)
        term.send("y")
        term.expect("REJECTED", timeout=10)
        term.send("i")  # the connection view: endpoints and whether keys are set
        term.expect("configured", timeout=5)
        term.send("\x1b")
        closed(term, "configured")
        term.send("q")
        assert term.wait_exit(5) == 0, term.text()
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
