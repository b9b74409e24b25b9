"""What every benchmark shares: results, a simulator process, and the app in a real
pseudo-terminal whose output is rendered by a terminal emulator (pyte), so figures are
what a user would see, taken from outside the app."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import pyte

APP = [sys.executable, "-m", "tui"]
KEYS = {"ALPACA_API_KEY": "bench-key", "ALPACA_SECRET_KEY": "bench-secret"}


@dataclass
class Result:
    """One figure. `target` is None for figures that only inform; `higher_is_better`
    flips the comparison (throughput)."""

    name: str
    value: float
    unit: str
    target: float | None = None
    higher_is_better: bool = False
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def as_json(self) -> dict:
        return {**asdict(self), "met": self.met}


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100), nearest-rank: a value that was really measured."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


class Simulator:
    """`alpaca-tui sim` as its own process on a free loopback port."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([*APP, "sim", "--port", "0", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RuntimeError(f"simulator did not start: {line!r}")
        self.url = line.removeprefix("listening on ")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Terminal:
    """The app (or any command) in a pseudo-terminal of the given size. Bytes it writes
    are counted and fed to a pyte screen; `text()` is what the screen shows."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None, columns: int = 80,
                 lines: int = 24) -> None:
        self.started = time.monotonic()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the app
            os.execvpe(argv[0], argv, {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns),
                                       "LINES": str(lines), **(env or {})})
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        self.bytes_written = 0
        self.exit_status: int | None = None

    def pump(self, timeout: float = 0.0) -> bool:
        """Read whatever the app wrote within `timeout`; True if anything came."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 1 << 20)
        except OSError:  # the app exited
            return False
        self.bytes_written += len(data)
        self.stream.feed(data)
        return bool(data)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 10.0) -> float | None:
        """Seconds until predicate(screen text) holds, pumping output meanwhile; None on timeout."""
        start = time.monotonic()
        while True:
            if predicate(self.text()):
                return time.monotonic() - start
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                return None
            self.pump(min(left, 0.05))

    def shows(self, *needles: str, timeout: float = 10.0) -> float | None:
        return self.wait_for(lambda text: all(n in text for n in needles), timeout)

    def idle(self, seconds: float) -> None:
        """Keep reading (the app blocks if nobody reads its terminal) for `seconds`."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.pump(min(left, 0.1))

    def send(self, keys: str | bytes) -> None:
        os.write(self.fd, keys.encode() if isinstance(keys, str) else keys)

    def close(self) -> None:
        if self.exit_status is not None:
            return
        try:
            self.send("q")
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                self.pump(0.05)
                done, status = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    self.exit_status = status
                    break
            else:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        finally:
            os.close(self.fd)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def app_against(url: str, columns: int = 80, lines: int = 24) -> Terminal:
    """The app in PAPER mode against a simulator (or proxy) at `url`."""
    journal = os.path.join(tempfile.mkdtemp(prefix="alpaca-tui-bench-"), "audit.jsonl")
    return Terminal([*APP], env={**KEYS, "ALPACA_BASE_URL": url, "ALPACA_TUI_AUDIT_LOG": journal},
                    columns=columns, lines=lines)
