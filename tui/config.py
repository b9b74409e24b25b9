"""Run configuration: which endpoints and keys the app uses, decided once before the UI starts.

Widgets never read the environment or files; they get a `Config`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

PAPER_URL = "https://paper-api.alpaca.markets"
LIVE_URL = "https://api.alpaca.markets"
DATA_URL = "https://data.alpaca.markets"
LIVE_HOSTS = frozenset({"api.alpaca.markets"})


class Mode(str, Enum):
    DEMO = "DEMO"
    PAPER = "PAPER"
    LIVE = "LIVE"


class ConfigError(Exception):
    """A configuration the app refuses to start with; the message is shown as is."""


@dataclass(frozen=True)
class Intervals:
    """Seconds between background refreshes of each pane's data (REST reconciliation).

    With the stream up, a fill refreshes orders, positions and the account at once, so the
    timers only reconcile and move prices: every 15 s, which keeps a thin SSH link's
    traffic low (each price refresh repaints every position row). Without the stream,
    orders and positions are polled every 5 s so fills still show within seconds.
    Idle requests per minute, far inside Alpaca's 200: with the stream
    60/15 + 60/15 + 60/20 + 60/60 + 60/60 = 13; polling 60/15 + 60/5 + 60/5 + 1 + 1 = 30.
    """

    account: float = 15.0
    positions: float = 15.0
    orders: float = 20.0
    orders_polling: float = 5.0  # when the stream is down, orders are polled instead
    positions_polling: float = 5.0  # ... and positions, whose fills no longer arrive by themselves
    clock: float = 60.0
    fills: float = 60.0


@dataclass(frozen=True)
class Config:
    mode: Mode
    base_url: str
    data_url: str
    key_id: str = field(repr=False)
    secret_key: str = field(repr=False)
    intervals: Intervals = Intervals()
    request_timeout: float = 10.0

    @property
    def stream_url(self) -> str:
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{scheme}://{parts.netloc}/stream"

    @property
    def live(self) -> bool:
        return self.mode is Mode.LIVE

    @property
    def keys_configured(self) -> bool:
        return bool(self.key_id and self.secret_key)

    def with_intervals(self, intervals: Intervals) -> Config:
        return Config(self.mode, self.base_url, self.data_url, self.key_id, self.secret_key, intervals,
                      self.request_timeout)


def is_alpaca_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "alpaca.markets" or host.endswith(".alpaca.markets")


def is_live_url(url: str) -> bool:
    return (urlsplit(url).hostname or "").lower() in LIVE_HOSTS


def normalise_base_url(url: str) -> str:
    """alpaca-py appends /v2 itself: keep scheme://host[:port] only."""
    url = url.strip().rstrip("/")
    if url.endswith("/v2"):
        url = url[:-3]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"ALPACA_BASE_URL is not an http(s) URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def load_env(dotenv_path: Path | None = None) -> dict[str, str]:
    """The process environment over a .env file (the environment wins, as usual)."""
    from dotenv import dotenv_values

    path = dotenv_path if dotenv_path is not None else Path.cwd() / ".env"
    values = {k: v for k, v in dotenv_values(path).items() if v is not None} if path.is_file() else {}
    values.update(os.environ)
    return values


def dotenv_warning(dotenv_path: Path | None = None) -> str | None:
    """A warning when the .env holding the keys can be read by group or others."""
    path = dotenv_path if dotenv_path is not None else Path.cwd() / ".env"
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & 0o077:
        return (f"{path} can be read by other users (mode {mode & 0o777:o}); it holds your secret key: "
                f"chmod 600 {path}")
    return None


def demo_config(url: str) -> Config:
    return Config(Mode.DEMO, url, url, "demo", "demo")


def from_env(env: Mapping[str, str], *, live: bool) -> Config | None:
    """The configuration for a real (or `alpaca-tui sim`) account, or None without keys.

    Raises ConfigError for a live endpoint without --live: refused before any request.
    """
    key, secret = env.get("ALPACA_API_KEY", "").strip(), env.get("ALPACA_SECRET_KEY", "").strip()
    base = env.get("ALPACA_BASE_URL", "").strip()
    base_url = normalise_base_url(base) if base else (LIVE_URL if live else PAPER_URL)
    if is_live_url(base_url) and not live:
        raise ConfigError(f"ALPACA_BASE_URL points at the live account ({base_url}); "
                          "add --live to trade real money, or use the paper endpoint")
    if live and base and not is_live_url(base_url) and is_alpaca_host(base_url):
        raise ConfigError(f"--live was given but ALPACA_BASE_URL is the paper endpoint ({base_url})")
    if not (key and secret):
        return None
    data = env.get("ALPACA_DATA_URL", "").strip()
    if data:
        data_url = normalise_base_url(data)
    else:
        data_url = DATA_URL if is_alpaca_host(base_url) else base_url
    return Config(Mode.LIVE if live else Mode.PAPER, base_url, data_url, key, secret)
