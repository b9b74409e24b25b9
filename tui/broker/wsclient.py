"""What the app's websocket clients share: a daemon thread with its own event loop, start,
stop and wake from any thread, the reconnect loop with jittered backoff, frame reading,
state reports, and the guards (no redirects followed, server text cleaned and never
echoing the secret).

A client (stream.py's trade_updates, datastream.py's market data) subclasses
WebSocketClient and writes only `_connection`: one connection's handshake and listening,
ending by raising Refused (keys refused: wait the longest before retrying) or anything
else (dropped: retry with backoff). No Textual here.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import random
import socket
import threading
from enum import Enum
from typing import Any, Callable

import aiohttp
from aiohttp import WSMsgType

from ..text import clean

CLOSE_TIMEOUT = 1.0  # seconds to wait for the server's close frame: quitting must not hang on it
JITTER = 0.1  # +-10 % on each retry delay, so clients dropped together don't return in lockstep
_jitter = random.Random()  # its own generator: the global one belongs to whoever embeds us (and to hypothesis)
MAX_DETAIL = 120  # a detail is a status-bar phrase, not a server's essay

try:  # aiohttp >= 3.11 wants a ClientWSTimeout; 3.10 takes the close timeout as a float
    from aiohttp import ClientWSTimeout

    WS_TIMEOUT: Any = ClientWSTimeout(ws_receive=None, ws_close=CLOSE_TIMEOUT)
except ImportError:  # pragma: no cover - old aiohttp
    WS_TIMEOUT = CLOSE_TIMEOUT


class StreamState(str, Enum):
    CONNECTING = "connecting"
    LISTENING = "listening"  # authorized and subscribed
    UNAUTHORIZED = "unauthorized"  # keys refused, or "connection limit exceeded"
    DISCONNECTED = "disconnected"  # dropped or could not connect; will retry
    STOPPED = "stopped"


class Refused(Exception):
    """The server refused the keys (or the account's one connection is held); the text is its reason."""


class Dropped(Exception):
    """The connection failed or ended; the text is the detail to show."""


async def _refuse_redirect(_session: Any, _context: Any, params: Any) -> None:
    # aiohttp's ws_connect follows redirects and has no option not to; the next thing sent
    # would be the keys, to wherever the Location said. Raising here stops it before that.
    status = getattr(params.response, "status", "3xx")
    raise Dropped(f"the server redirected the stream (HTTP {status}): not followed")


def _no_redirects() -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()
    trace.on_request_redirect.append(_refuse_redirect)
    return trace


class WebSocketClient:
    """One websocket on a daemon thread with its own event loop, reconnecting until stopped.

    Callbacks run on the stream's thread and should be quick (hand the work to the UI's
    thread); an exception they raise is logged and otherwise ignored. `state` is
    DISCONNECTED until start() reports CONNECTING. Subclasses set `name` (for logs and
    the thread) and write `_connection`, calling `_listening()` once they listen.
    """

    name = "websocket"  # the stream's name in log lines
    thread_name = "websocket"

    def __init__(self, url: str, key_id: str, secret_key: str,
                 on_state: Callable[[StreamState, str], None],
                 *, connect_timeout: float = 5.0, heartbeat: float = 20.0,
                 backoff_min: float = 1.0, backoff_max: float = 30.0) -> None:
        self._url = url
        self._key_id = key_id
        self._secret = secret_key
        self._on_state = on_state
        self._connect_timeout = connect_timeout
        self._heartbeat = heartbeat or None
        self._backoff_min = backoff_min
        self._backoff_max = max(backoff_max, backoff_min)
        self._state = StreamState.DISCONNECTED
        self._lock = threading.Lock()
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None
        self._listened = False  # reached LISTENING on the current connection
        self._wake: asyncio.Event | None = None  # set to cut a backoff wait short (made on the loop)
        self._log = logging.getLogger(type(self).__module__)

    @property
    def state(self) -> StreamState:
        return self._state

    # ---- control, from any thread ----

    def start(self) -> None:
        """Start the stream thread. A stream starts at most once; after stop() this does nothing."""
        with self._lock:
            if self._thread is not None or self._stopping:
                return
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._thread_main, name=self.thread_name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Ask the stream to end and return at once; the thread reports STOPPED as it exits."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            loop = self._loop
        if loop is None:  # never started: there is no thread to report it
            self._report(StreamState.STOPPED, "stopped")
            return
        self._call_soon(self._cancel)

    def wake(self) -> None:
        """Cut the current backoff wait short and connect now (the server is back)."""
        if not self._stopping:
            self._call_soon(self._set_wake)

    def _call_soon(self, callback: Callable[[], None]) -> None:
        """Run callback on the stream's loop (from any thread); nothing once the loop is gone."""
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(callback)
        except RuntimeError:
            pass  # the loop is already closed: the thread is on its way out

    def _set_wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _cancel(self) -> None:
        # Cancelling the one task interrupts whatever it awaits: a connect, a read or a backoff sleep.
        if self._task is not None:
            self._task.cancel()

    # ---- the thread ----

    def _thread_main(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            self._task = loop.create_task(self._run())
            if self._stopping:  # stop() came before the task existed
                self._task.cancel()
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except Exception:  # _run catches per attempt, so this would be a bug here
            self._log.exception("%s stream failed", self.name)
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
            with self._lock:
                self._stopping = True  # also when the task ended by itself
            self._report(StreamState.STOPPED, "stopped")

    async def _run(self) -> None:
        """Connect, listen, and on any failure wait and connect again, until cancelled."""
        delay = self._backoff_min
        self._wake = asyncio.Event()
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self._connect_timeout)
        async with aiohttp.ClientSession(timeout=timeout, trace_configs=[_no_redirects()]) as session:
            while True:
                self._report(StreamState.CONNECTING, "connecting")
                self._listened = False
                try:
                    await self._connection(session)
                    raise Dropped("connection closed")  # not reached: it ends by raising
                except Refused as err:
                    self._report(StreamState.UNAUTHORIZED, str(err))
                    # Wrong keys or a held slot won't change in a second: wait the longest.
                    wait = self._backoff_max
                except Exception as err:
                    if self._listened:
                        delay = self._backoff_min  # it worked until now: start the backoff over
                    self._report(StreamState.DISCONNECTED, self._describe(err))
                    wait = delay
                    delay = min(delay * 2, self._backoff_max)
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), wait * _jitter.uniform(1 - JITTER, 1 + JITTER))
                    delay = self._backoff_min  # woken: the server is back
                except TimeoutError:
                    pass

    async def _connection(self, session: aiohttp.ClientSession) -> None:
        """One connection, until it fails (by raising): the subclass's protocol."""
        raise NotImplementedError

    async def _open(self, session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
        """The websocket, opened within connect_timeout."""
        try:
            async with asyncio.timeout(self._connect_timeout):
                return await session.ws_connect(self._url, heartbeat=self._heartbeat, timeout=WS_TIMEOUT)
        except TimeoutError:
            raise Dropped("connection timed out") from None

    def _listening(self, detail: str = "listening") -> None:
        """The connection is up: report LISTENING (and start the backoff over when it drops)."""
        self._listened = True
        self._report(StreamState.LISTENING, detail)

    async def _next(self, ws: aiohttp.ClientWebSocketResponse, timeout: float | None, late: str) -> Any:
        """The next data frame parsed (None if it is not JSON); raises Dropped when the socket ends."""
        while True:
            try:
                msg = await ws.receive(timeout=timeout)
            except TimeoutError:
                raise Dropped(late) from None
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                try:
                    return json.loads(msg.data)
                except ValueError:  # also undecodable bytes
                    self._log.debug("ignoring a %s frame that is not JSON", self.name)
                    return None
            if msg.type is WSMsgType.CLOSE:
                raise Dropped(f"closed by server: {self._server_text(msg.extra, f'code {msg.data}')}")
            if msg.type is WSMsgType.ERROR:
                err = ws.exception() or msg.data
                if isinstance(err, aiohttp.ServerTimeoutError):
                    raise Dropped("heartbeat timed out")
                raise Dropped("connection lost")
            if msg.type in (WSMsgType.CLOSED, WSMsgType.CLOSING):
                raise Dropped("connection closed")

    # ---- callbacks, guarded ----

    def _deliver(self, label: str, callback: Callable[..., None], *args: Any) -> None:
        """Hand data to a caller's callback (none after a stop request); its failure is
        logged, never raised into the stream."""
        if self._stopping:
            return
        try:
            callback(*args)
        except Exception:
            self._log.exception("%s %s callback failed", self.name, label)

    def _report(self, state: StreamState, detail: str) -> None:
        detail = detail[:MAX_DETAIL]
        with self._lock:
            if self._state is StreamState.STOPPED or (self._stopping and state is not StreamState.STOPPED):
                return  # nothing after a stop request but the one STOPPED
            self._state = state
        self._log.log(logging.DEBUG if state is StreamState.CONNECTING else logging.INFO,
                      "%s stream %s: %s", self.name, state.value, detail)
        try:
            self._on_state(state, detail)
        except Exception:
            self._log.exception("%s on_state callback failed", self.name)

    def _server_text(self, text: Any, fallback: str) -> str:
        # Our own phrases are fixed; only text from the server could echo the secret back.
        if not isinstance(text, str) or (self._secret and self._secret in text):
            return fallback
        return clean(text, one_line=True, limit=MAX_DETAIL).strip() or fallback

    def _describe(self, err: BaseException) -> str:
        """A short phrase for why a connection failed or ended."""
        if isinstance(err, Dropped):
            return str(err)
        if isinstance(err, aiohttp.WSServerHandshakeError):
            return f"websocket refused (HTTP {err.status})"
        if isinstance(err, aiohttp.ClientConnectorError):
            os_err = err.os_error
            if isinstance(os_err, ConnectionRefusedError) or os_err.errno == errno.ECONNREFUSED \
                    or "refused" in str(os_err).lower():
                return "connection refused"
            if isinstance(os_err, socket.gaierror):
                return "host not found"
            return "cannot connect"
        if isinstance(err, TimeoutError):
            return "connection timed out"
        if isinstance(err, ConnectionResetError):
            return "connection reset"
        if isinstance(err, (aiohttp.ClientError, OSError)):
            return "connection lost"
        self._log.exception("unexpected %s stream error", self.name)  # a bug, not the network
        return "internal error"
