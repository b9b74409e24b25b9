"""A command (the app, the demo) in a real pseudo-terminal: every byte it writes is kept,
and fed to a terminal emulator (pyte), so a check reads the screen as a user sees it, or
the raw bytes where the bytes are the point (escape sequences)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path
from typing import Callable, Mapping

import pyte

ROOT = Path(__file__).resolve().parents[2]
APP = [sys.executable, "-m", "tui"]


def app_env(**extra: str) -> dict[str, str]:
    """This environment less any ALPACA_* setting of the person running the tests, with this
    checkout's `tui` first on the path; `extra` on top (keys, URLs, the journal's path)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALPACA_")}
    path = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, "PYTHONPATH": path, "TERM": "xterm-256color", **extra}


class Terminal:
    """`argv` in a pseudo-terminal of `columns` x `lines`.

    env: the child's whole environment (default app_env()). COLUMNS and LINES are set to
    the size, and the size is set on the terminal before the command starts.
    """

    def __init__(self, argv: list[str], env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
                 columns: int = 80, lines: int = 24) -> None:
        env = {**(app_env() if env is None else env), "COLUMNS": str(columns), "LINES": str(lines)}
        self.columns, self.lines = columns, lines
        self.started = time.monotonic()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: size its terminal, become the command
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
                if cwd is not None:
                    os.chdir(cwd)
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        self.screen = pyte.Screen(columns, lines)
        self._stream = pyte.ByteStream(self.screen)
        self.output = bytearray()  # every byte written, in order
        self.exit_status: int | None = None  # the exit code, once reaped
        self._closed = False

    # ---- reading ----------------------------------------------------------------------------

    @property
    def bytes_written(self) -> int:
        return len(self.output)

    def pump(self, timeout: float = 0.0) -> bool:
        """Read whatever the command wrote within `timeout`; True if anything came."""
        if self._closed:
            return False
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 1 << 20)
        except OSError:  # the command exited and the terminal is gone
            return False
        self.output += data
        self._stream.feed(data)
        return bool(data)

    def text(self) -> str:
        """The screen now, one line per row."""
        return "\n".join(self.screen.display)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 10.0) -> float | None:
        """Seconds until predicate(screen text) holds, reading output meanwhile; None on timeout."""
        start = time.monotonic()
        while True:
            if predicate(self.text()):
                return time.monotonic() - start
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                return None
            self.pump(min(left, 0.05))

    def shows(self, *needles: str, timeout: float = 10.0) -> float | None:
        """Seconds until the screen shows every needle; None on timeout."""
        return self.wait_for(lambda text: all(n in text for n in needles), timeout)

    def expect(self, *needles: str, timeout: float = 10.0) -> float:
        """shows(), failing with the screen if the needles never all show."""
        took = self.shows(*needles, timeout=timeout)
        if took is None:
            missing = [n for n in needles if n not in self.text()]
            raise AssertionError(f"not on screen within {timeout}s: {missing!r}\n{self.text()}")
        return took

    def idle(self, seconds: float) -> None:
        """Keep reading (the command blocks if nobody reads its terminal) for `seconds`."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.pump(min(left, 0.1))

    def settle(self, quiet: float = 0.2, timeout: float = 5.0) -> None:
        """Read until the command has written nothing for `quiet` seconds (a repaint done)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.pump(quiet):
            pass

    # ---- writing and ending ----------------------------------------------------------------

    def send(self, keys: str | bytes) -> None:
        os.write(self.fd, keys.encode() if isinstance(keys, str) else keys)

    def wait_exit(self, timeout: float) -> int | None:
        """The exit code once the command ends within `timeout` (reading meanwhile), else None."""
        deadline = time.monotonic() + timeout
        while self.exit_status is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.exit_status = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                return None
            self.pump(0.05)
        return self.exit_status

    def kill(self) -> None:
        if self.exit_status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                _, status = os.waitpid(self.pid, 0)
                self.exit_status = os.waitstatus_to_exitcode(status)
            except (ProcessLookupError, ChildProcessError):
                pass

    def close(self, quit_key: str | None = "q", timeout: float = 3.0) -> None:
        """Quit with `quit_key`, waiting up to `timeout`; then kill. Safe to call twice."""
        if self._closed:
            return
        try:
            if self.exit_status is None and quit_key is not None:
                try:
                    self.send(quit_key)
                except OSError:
                    pass
                self.wait_exit(timeout)
            self.kill()
        finally:
            self._closed = True
            os.close(self.fd)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
