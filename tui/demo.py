"""The demo's exchange: `alpaca-tui sim` with the sample portfolio in a child process.

A process of its own, not a thread: the simulator's start-up (aiohttp, the engine) then
runs on another core while the UI imports and paints, instead of taking turns with it
for the GIL (start to data: 1.34 s with a thread, 1.06 s with this, same machine); and
its ticks never hold up a keystroke afterwards. The child stops when the app closes the
pipe on its standard input, which happens however the app ends, SIGKILL included.
"""

from __future__ import annotations

import collections
import os
import re
import socket
import subprocess
import sys
import threading

HOST = "127.0.0.1"
# What a Python child needs to start and print: where programs and modules are, the user's
# home, locale and time zone. Nothing else is passed on: the parent's environment may hold
# ALPACA_SECRET_KEY and other credentials the simulator has no use for.
_PASSED = re.compile(r"PATH|HOME|USER|LOGNAME|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|TEMP|TMP|PYTHONPATH|PYTHONHOME"
                     r"|PYTHONIOENCODING|PYTHONUTF8|VIRTUAL_ENV|SYSTEMROOT|SYSTEMDRIVE|WINDIR|COMSPEC|PATHEXT")
_SECRET = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)


def child_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The minimal environment for the simulator's process."""
    environ = dict(os.environ if environ is None else environ)
    return {name: value for name, value in environ.items()
            if _PASSED.fullmatch(name.upper()) and not _SECRET.search(name)}


def free_port(host: str) -> int:
    """A port nobody listens on now (the OS picks it), for the child to bind a moment later.
    Here rather than in the simulator's package, whose import (aiohttp) is what the child
    process is for keeping off the UI's critical path."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class DemoSimulator:
    def __init__(self, seed: int) -> None:
        self.port = free_port(HOST)
        self.url = f"http://{HOST}:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tui", "sim", "--host", HOST, "--port", str(self.port), "--portfolio", "sample",
             "--seed", str(seed), "--until-stdin-closes"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=child_environment())
        self._ready = threading.Event()
        self._first_line = ""
        self._errors: collections.deque[str] = collections.deque(maxlen=5)
        # Both pipes are read to the end, so the child can never block on a full one.
        threading.Thread(target=self._read_stdout, name="demo-sim-out", daemon=True).start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, name="demo-sim-err", daemon=True)
        self._stderr_reader.start()

    def _read_stdout(self) -> None:
        self._first_line = self.process.stdout.readline().strip()
        self._ready.set()
        for _ in self.process.stdout:
            pass

    def _read_stderr(self) -> None:
        for line in self.process.stderr:
            self._errors.append(line.strip())

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Return once the simulator accepts connections; raise with its reason if it cannot."""
        if not self._ready.wait(timeout):
            raise RuntimeError(f"the demo simulator did not start within {timeout:.0f} s")
        if not self._first_line.startswith("listening on "):
            self.process.wait(timeout=2)
            self._stderr_reader.join(timeout=2)  # its last lines say why: read them all first
            reason = self._errors[-1] if self._errors else f"exit status {self.process.returncode}"
            raise RuntimeError(f"the demo simulator did not start: {reason}")

    def stop(self) -> None:
        """Ask the child to stop; not waited for (its shutdown waits on open connections)."""
        if self.process.poll() is None:
            self.process.terminate()
