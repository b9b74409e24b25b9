"""The --demo simulator's process gets only the environment it needs: never the keys."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tui.demo import DemoSimulator, child_environment

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/environ")


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


def test_the_demo_child_does_not_inherit_secrets(monkeypatch):
    monkeypatch.setenv("ALPACA_SECRET_KEY", "the-secret-value")
    monkeypatch.setenv("ALPACA_API_KEY", "the-key-id")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_token")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws")
    monkeypatch.setenv("SOME_UNRELATED_SETTING", "x")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    simulator = DemoSimulator(seed=0)
    try:
        simulator.wait_ready()  # it still starts, and serves
        environ = environ_of(simulator.process.pid)
    finally:
        simulator.stop()
        simulator.process.wait(timeout=10)
    assert "the-secret-value" not in "\0".join(f"{k}={v}" for k, v in environ.items())
    assert not {"ALPACA_SECRET_KEY", "ALPACA_API_KEY", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY",
                "SOME_UNRELATED_SETTING"} & environ.keys()
    assert environ["PATH"] and environ["LC_ALL"] == "C.UTF-8"


def test_the_minimal_environment_keeps_what_python_needs_and_drops_credentials():
    env = child_environment({"PATH": "/bin", "HOME": "/h", "LANG": "C", "LC_CTYPE": "C", "TZ": "UTC",
                             "PYTHONPATH": "/src", "SYSTEMROOT": "C:\\Windows", "ALPACA_SECRET_KEY": "s",
                             "APCA_API_KEY_ID": "k", "GH_TOKEN": "t", "PYTHONSTARTUP": "/evil.py",
                             "LD_PRELOAD": "/evil.so", "HTTPS_PROXY": "http://proxy"})
    assert env == {"PATH": "/bin", "HOME": "/h", "LANG": "C", "LC_CTYPE": "C", "TZ": "UTC",
                   "PYTHONPATH": "/src", "SYSTEMROOT": "C:\\Windows"}
