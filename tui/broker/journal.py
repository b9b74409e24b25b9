"""The audit journal: one JSON line before each order, cancel or close is sent, and one
with its outcome — append-only, flushed and fsynced, readable by the user alone.

An intent whose outcome line is missing (the app was killed mid-send) or says "unknown"
(the answer never came) is *pending*: the next start asks the server what became of it
and writes the answer as its outcome. Nothing secret is ever written: lines carry what
was asked for and what the server said, never keys.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

FILE_MODE = 0o600
DIR_MODE = 0o700
ENV_VAR = "ALPACA_TUI_AUDIT_LOG"
UNRESOLVED = ("unknown",)  # outcomes that still need the server's word


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

    def _open(self) -> int:
        if self._fd is None:
            try:
                self.path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
                if os.stat(fd).st_mode & 0o077:
                    os.fchmod(fd, FILE_MODE)  # an older or hand-made file: close it to others
                if _ends_mid_line(self.path):
                    os.write(fd, b"\n")  # a crash tore the last line: start ours on a fresh one
            except OSError as err:
                raise JournalError(f"cannot open the audit journal {self.path}: {err.strerror or err}") from err
            self._fd = fd
        return self._fd

    def _append(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, separators=(",", ":"), default=str) + "\n").encode()
        with self._lock:
            fd = self._open()
            try:
                os.write(fd, line)
                os.fsync(fd)
            except OSError as err:
                raise JournalError(f"cannot write the audit journal {self.path}: {err.strerror or err}") from err

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
        try:
            with open(self.path, encoding="utf-8", errors="replace") as lines:
                for line in lines:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue  # a torn last line from a crash: skip it
                    if not isinstance(record, dict):
                        continue
                    key = record.get("intent")
                    if record.get("event") == "intent" and record.get("endpoint") == self.endpoint \
                            and record.get("mode") == self.mode:
                        intents[key] = record
                    elif record.get("event") == "outcome" and key in intents \
                            and record.get("result") not in UNRESOLVED:
                        del intents[key]
        except FileNotFoundError:
            return []
        except OSError as err:
            raise JournalError(f"cannot read the audit journal {self.path}: {err.strerror or err}") from err
        return list(intents.values())


def _ends_mid_line(path: Path) -> bool:
    with open(path, "rb") as f:
        if f.seek(0, os.SEEK_END) == 0:
            return False
        f.seek(-1, os.SEEK_END)
        return f.read(1) != b"\n"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")
