"""The audit journal: one JSON line before each order, cancel or close is sent, and one
with its outcome — append-only, flushed and fsynced, readable by the user alone.

An intent whose outcome line is missing (the app was killed mid-send) or says "unknown"
(the answer never came) is *pending*: the next start asks the server what became of it
and writes the answer as its outcome. Nothing secret is ever written: lines carry what
was asked for and what the server said, never keys.

The file is opened without following a symbolic link and must be a regular file of the
user's own: a link planted at the path would otherwise have the journal appended to (and
chmodded) whatever it points at.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

FILE_MODE = 0o600
DIR_MODE = 0o700
ENV_VAR = "ALPACA_TUI_AUDIT_LOG"
UNRESOLVED = ("unknown",)  # outcomes that still need the server's word
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # not on Windows, where links need privileges to make
# O_NONBLOCK: opening a FIFO planted at the path must fail or return, never wait for a reader.
_OPEN = os.O_APPEND | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


class JournalError(OSError):
    """The journal cannot be written: nothing may be sent without its intent on disk."""


def default_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("alpaca-tui", appauthor=False) / "audit.jsonl"


def choose_path(cli_path: str | None, env: dict[str, str]) -> Path:
    """--audit-log wins, then ALPACA_TUI_AUDIT_LOG, then the user's data directory."""
    chosen = cli_path or env.get(ENV_VAR) or None
    return Path(chosen).expanduser() if chosen else default_path()


class Journal:
    def __init__(self, path: Path, *, mode: str, endpoint: str) -> None:
        self.path = path
        self.mode = mode  # demo / paper / live
        self.endpoint = endpoint  # the trading base URL: pending intents are settled against it
        self._lock = threading.Lock()
        self._fd: int | None = None

    # ---- writing -----------------------------------------------------------------------

    def open(self) -> None:
        """Open (or create) the file now: a start-up check, so a journal that cannot be
        written stops the app before anything could be sent. Raises JournalError."""
        with self._lock:
            self._open()

    def _open(self) -> int:
        if self._fd is None:
            try:
                self.path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
                try:  # a new file is made here, 0600 from its first moment
                    fd = os.open(self.path, os.O_RDWR | _OPEN | os.O_CREAT | os.O_EXCL, FILE_MODE)
                except FileExistsError:
                    fd = os.open(self.path, os.O_RDWR | _OPEN)
            except OSError as err:
                raise self._error("open", err) from err
            try:
                self._check(fd)
                if stat.S_IMODE(os.fstat(fd).st_mode) != FILE_MODE:
                    os.fchmod(fd, FILE_MODE)  # an older or hand-made file (or a umask): close it to others
                if _ends_mid_line(fd):
                    os.write(fd, b"\n")  # a crash tore the last line: start ours on a fresh one
            except JournalError:
                os.close(fd)
                raise
            except OSError as err:
                os.close(fd)
                raise self._error("open", err) from err
            self._fd = fd
        return self._fd

    def _check(self, fd: int) -> None:
        """Refuse what is not a regular file of the user's own; leave it blocking."""
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise JournalError(f"the audit journal {self.path} is not a regular file: refused")
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise JournalError(f"the audit journal {self.path} belongs to another user: refused")
        if getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)

    def _error(self, doing: str, err: OSError) -> JournalError:
        if err.errno in (errno.ELOOP, errno.EMLINK) and self.path.is_symlink():  # EMLINK: the BSDs' O_NOFOLLOW
            return JournalError(f"the audit journal {self.path} is a symbolic link: refused "
                                f"(give the real file's path with --audit-log)")
        return JournalError(f"cannot {doing} the audit journal {self.path}: {err.strerror or err}")

    def _append(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, separators=(",", ":"), default=str) + "\n").encode()
        with self._lock:
            fd = self._open()
            try:
                os.write(fd, line)
                os.fsync(fd)
            except OSError as err:
                raise self._error("write", err) from err

    def intent(self, action: str, what: dict[str, Any], client_order_id: str | None = None) -> str:
        """Record what is about to be sent; returns the intent's id for its outcome."""
        intent_id = uuid.uuid4().hex
        self._append({"ts": _now(), "event": "intent", "intent": intent_id, "action": action,
                      "client_order_id": client_order_id, "mode": self.mode, "endpoint": self.endpoint,
                      "what": what})
        return intent_id

    def outcome(self, intent_id: str, result: str, **details: Any) -> None:
        """result: accepted / refused / unknown / settled; details: order_id, status, error, note."""
        record = {"ts": _now(), "event": "outcome", "intent": intent_id, "result": result}
        record.update({k: v for k, v in details.items() if v is not None})
        self._append(record)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    # ---- reading -----------------------------------------------------------------------

    def pending(self) -> list[dict[str, Any]]:
        """Intents for this endpoint and mode still waiting for the server's word, oldest first."""
        intents: dict[str, dict[str, Any]] = {}
        for record in self.history():
            key = record.get("intent")
            if record.get("event") == "intent":
                intents[key] = record
            elif record.get("event") == "outcome" and key in intents and record.get("result") not in UNRESOLVED:
                del intents[key]
        return list(intents.values())

    def history(self) -> Iterator[dict[str, Any]]:
        """Every line for this endpoint and mode, in file order: its intents, and the
        outcomes of those intents. Torn and foreign lines are skipped."""
        ours: set[Any] = set()
        for record in self._records():
            key = record.get("intent")
            if record.get("event") == "intent" and record.get("endpoint") == self.endpoint \
                    and record.get("mode") == self.mode:
                ours.add(key)
                yield record
            elif record.get("event") == "outcome" and key in ours:
                yield record

    def _records(self) -> Iterator[dict[str, Any]]:
        try:
            fd = os.open(self.path, os.O_RDONLY | _OPEN)
            try:
                self._check(fd)
            except OSError:
                os.close(fd)
                raise
            with os.fdopen(fd, encoding="utf-8", errors="replace") as lines:
                for line in lines:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue  # a torn last line from a crash: skip it
                    if isinstance(record, dict):
                        yield record
        except FileNotFoundError:
            return
        except JournalError:
            raise
        except OSError as err:
            raise self._error("read", err) from err


def _ends_mid_line(fd: int) -> bool:
    if os.fstat(fd).st_size == 0:
        return False
    os.lseek(fd, -1, os.SEEK_END)  # O_APPEND: the writes still go to the end
    return os.read(fd, 1) != b"\n"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")
