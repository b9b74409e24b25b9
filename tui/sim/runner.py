"""Running the simulator: in the foreground (`alpaca-tui sim`) or on a background thread
(the tests; `alpaca-tui --demo` runs `alpaca-tui sim` as a child process)."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from concurrent.futures import Future
from typing import Any, Callable, TypeVar

from aiohttp import web

from .clock import Clock
from .server import ServerOptions, Simulator

T = TypeVar("T")


async def start(simulator: Simulator, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Bind and start serving; returns the runner and the port actually bound."""
    runner = web.AppRunner(simulator.app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    bound = runner.addresses[0][1]
    return runner, bound


def run_forever(options: ServerOptions, host: str, port: int, clock: Clock | None = None,
                until_stdin_closes: bool = False) -> int:
    """Serve until SIGINT or SIGTERM (or, if asked, end of standard input); print the
    address once connections are accepted."""

    async def main() -> None:
        # Handlers first: a supervisor may signal as soon as it reads the address line.
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if until_stdin_closes:
            # A supervisor that dies in any way (even SIGKILL) closes its end of the pipe.
            def watch() -> None:
                while sys.stdin.buffer.read1(4096):
                    pass
                loop.call_soon_threadsafe(stop.set)

            threading.Thread(target=watch, name="stdin-watch", daemon=True).start()
        simulator = Simulator(options, clock)
        runner, bound = await start(simulator, host, port)
        print(f"listening on http://{host}:{bound}", flush=True)
        await stop.wait()
        await runner.cleanup()

    try:
        asyncio.run(main())
    except OSError as err:
        print(f"alpaca-tui sim: cannot listen on {host}:{port}: {err.strerror or err}", file=sys.stderr)
        return 1
    return 0


class BackgroundSimulator:
    """A simulator on its own thread and event loop, on a loopback port.

    `call` runs a function on the simulator's loop, where the exchange lives, so tests can
    inspect or move the market without racing the engine.
    """

    def __init__(self, options: ServerOptions | None = None, clock: Clock | None = None,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.options = options or ServerOptions()
        self.host = host
        self._requested_port = port
        self.port = 0
        self._clock = clock
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="alpaca-sim", daemon=True)
        self.simulator: Simulator | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def stream_url(self) -> str:
        return f"ws://{self.host}:{self.port}/stream"

    def start(self) -> BackgroundSimulator:
        self._thread.start()

        async def boot() -> None:
            self.simulator = Simulator(self.options, self._clock)
            self._runner, self.port = await start(self.simulator, self.host, self._requested_port)

        asyncio.run_coroutine_threadsafe(boot(), self._loop).result(timeout=30)
        return self

    def call(self, fn: Callable[..., T], *args: Any, timeout: float = 10) -> T:
        future: Future[T] = Future()

        def run() -> None:
            try:
                future.set_result(fn(*args))
            except BaseException as err:  # hand every failure back to the caller
                future.set_exception(err)

        self._loop.call_soon_threadsafe(run)
        return future.result(timeout=timeout)

    def stop(self) -> None:
        if self._loop.is_closed():
            return  # stopped already
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
            self._runner = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> BackgroundSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
