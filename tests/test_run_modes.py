"""Run modes: keys from the environment or .env, paper by default, live refused without --live,
and the demo in a real terminal."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tui import __version__
from tui.config import PAPER_URL, ConfigError, Mode, from_env, load_env

from .harness.terminal import APP, Terminal, app_env

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"ALPACA_API_KEY": "k", "ALPACA_SECRET_KEY": "s"}


def test_keys_use_the_paper_endpoint_by_default():
    config = from_env(KEYS, live=False)
    assert config.mode is Mode.PAPER and config.base_url == PAPER_URL
    assert config.data_url == "https://data.alpaca.markets"
    assert config.stream_url == "wss://paper-api.alpaca.markets/stream"


def test_a_local_base_url_serves_data_too():
    config = from_env({**KEYS, "ALPACA_BASE_URL": "http://127.0.0.1:8765/"}, live=False)
    assert config.base_url == config.data_url == "http://127.0.0.1:8765"
    assert config.stream_url == "ws://127.0.0.1:8765/stream" and config.mode is Mode.PAPER
    config = from_env({**KEYS, "ALPACA_BASE_URL": "http://127.0.0.1:8765",
                       "ALPACA_DATA_URL": "http://127.0.0.1:9999"}, live=False)
    assert config.data_url == "http://127.0.0.1:9999"


def test_no_keys_means_demo():
    assert from_env({}, live=False) is None


@pytest.mark.parametrize("url", ["https://api.alpaca.markets", "https://api.alpaca.markets/v2"])
def test_a_live_endpoint_without_live_is_refused(url):
    with pytest.raises(ConfigError, match="--live"):
        from_env({**KEYS, "ALPACA_BASE_URL": url}, live=False)
    assert from_env({**KEYS, "ALPACA_BASE_URL": url}, live=True).mode is Mode.LIVE


def test_keys_come_from_dotenv_and_the_environment_wins(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("ALPACA_API_KEY=from-file\nALPACA_SECRET_KEY=file-secret\n")
    monkeypatch.delenv("ALPACA_API_KEY", raising=False)
    monkeypatch.delenv("ALPACA_SECRET_KEY", raising=False)
    assert load_env(tmp_path / ".env")["ALPACA_API_KEY"] == "from-file"
    monkeypatch.setenv("ALPACA_API_KEY", "from-env")
    env = load_env(tmp_path / ".env")
    assert env["ALPACA_API_KEY"] == "from-env" and env["ALPACA_SECRET_KEY"] == "file-secret"


def test_the_secret_is_not_in_the_config_repr():
    assert "s3cret" not in repr(from_env({"ALPACA_API_KEY": "k", "ALPACA_SECRET_KEY": "s3cret"}, live=False))


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ALPACA_")}
    return subprocess.run([sys.executable, "-m", "tui", *args], cwd=cwd, env={**clean, **env,
                          "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=30)


def test_live_endpoint_without_live_exits_nonzero_naming_live(tmp_path):
    result = run_cli(env={**KEYS, "ALPACA_BASE_URL": "https://api.alpaca.markets"}, cwd=tmp_path)
    assert result.returncode != 0 and "--live" in result.stderr
    assert "Traceback" not in result.stderr


def test_live_must_be_typed(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tui", "--live"], cwd=tmp_path, input="yes\n",
                            env={**{k: v for k, v in os.environ.items() if not k.startswith("ALPACA_")},
                                 **KEYS, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "Type LIVE" in result.stdout and "not confirmed" in result.stderr


def test_help_and_version(tmp_path):
    help_text = run_cli("--help", env={}, cwd=tmp_path).stdout
    for flag in ("--demo", "--seed", "--live", "--version", "sim"):
        assert flag in help_text
    assert run_cli("--version", env={}, cwd=tmp_path).stdout.strip() == f"alpaca-tui {__version__}"


def demo(tmp_path: Path, argv: list[str] | None = None) -> Terminal:
    """The demo (or argv) in an 80x24 pseudo-terminal, started in tmp_path."""
    return Terminal(argv or [*APP, "--demo"], app_env(), cwd=tmp_path, columns=80, lines=24)


@pytest.mark.parametrize("args, first_line", [(["--demo"], b""), ([], b"starting the demo")])
def test_the_demo_in_a_terminal_shows_data_then_q_quits(tmp_path, args, first_line):
    with demo(tmp_path, [*APP, *args]) as term:
        term.expect("Positions (6)", "Orders (3)", "Equity", "OPEN", "DEMO", timeout=15)
        assert first_line in term.output  # without keys: said before the screen takes over
        term.send("q")
        started = time.monotonic()
        assert term.wait_exit(5) == 0
        assert time.monotonic() - started < 3


def demo_simulator_pid(app_pid: int) -> int:
    """The app's one child process: the demo's `alpaca-tui sim`."""
    children = Path(f"/proc/{app_pid}/task/{app_pid}/children").read_text().split()
    assert len(children) == 1, children
    assert b"sim" in Path(f"/proc/{children[0]}/cmdline").read_bytes().split(b"\0")
    return int(children[0])


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True  # exited; only its parent's wait is missing
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads child processes from /proc")
def test_the_demo_simulator_process_ends_when_the_app_quits(tmp_path):
    with demo(tmp_path) as term:
        term.expect("Positions (6)", timeout=15)
        simulator = demo_simulator_pid(term.pid)
        term.send("q")
        assert term.wait_exit(5) == 0
        assert gone_within(simulator, 5)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads child processes from /proc")
def test_the_demo_simulator_process_ends_when_the_app_is_killed(tmp_path):
    # The app under a shell that keeps the terminal, as in a tmux pane: no SIGHUP reaches
    # the simulator, and no clean-up code of the app runs; the pipe closing must stop it.
    with demo(tmp_path, ["/bin/sh", "-c", f"'{sys.executable}' -m tui --demo; sleep 30"]) as term:
        term.expect("Positions (6)", timeout=15)
        app = int(Path(f"/proc/{term.pid}/task/{term.pid}/children").read_text().split()[0])
        simulator = demo_simulator_pid(app)
        os.kill(app, 9)
        assert gone_within(simulator, 5)
        term.kill()  # the shell, sleeping


def test_a_dotenv_others_can_read_is_warned_about(tmp_path):
    from tui.config import dotenv_warning

    env = tmp_path / ".env"
    env.write_text("ALPACA_API_KEY=k\nALPACA_SECRET_KEY=s\n")
    os.chmod(env, 0o644)
    warning = dotenv_warning(env)
    assert warning and "chmod 600" in warning and "644" in warning and "s\n" not in warning
    os.chmod(env, 0o600)
    assert dotenv_warning(env) is None
    assert dotenv_warning(tmp_path / "missing") is None


def test_a_demo_simulator_that_cannot_start_says_why(monkeypatch):
    import socket

    from tui import demo

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setattr(demo, "free_port", lambda host: taken.getsockname()[1])
        simulator = demo.DemoSimulator(seed=0)
        with pytest.raises(RuntimeError, match="did not start: alpaca-tui sim: cannot listen on 127.0.0.1"):
            simulator.wait_ready(timeout=20)
        assert simulator.process.wait(timeout=5) == 1
