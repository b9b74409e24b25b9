"""Run configuration: which endpoints and keys the app uses, decided once before the UI starts.

Widgets never read the environment or files; they get a `Config`.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from .text import clean

PAPER_URL = "https://paper-api.alpaca.markets"
LIVE_URL = "https://api.alpaca.markets"
DATA_URL = "https://data.alpaca.markets"
LIVE_HOSTS = frozenset({"api.alpaca.markets"})
# Alpaca serves the market-data websocket on its own host, not on the REST data host.
DATA_STREAM_HOSTS = {"data.alpaca.markets": "stream.data.alpaca.markets",
                     "data.sandbox.alpaca.markets": "stream.data.sandbox.alpaca.markets"}
DATA_FEEDS = ("iex", "sip", "delayed_sip")
MAX_DATA_SYMBOLS = 10_000


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
    The account is read with the positions (one refresh, two requests), so the two agree.
    Idle requests per minute, far inside Alpaca's 200: with the stream
    2 * 60/15 + 60/20 + 60/60 + 60/60 = 13; polling 2 * 60/5 + 60/5 + 1 + 1 = 38 at most.
    With both streams up: 2 * 60/30 + 60/30 + 1 + 1 + 2 * 60/120 (the watchlists: the list,
    then each) + 60/300 (streamed symbols' day figures) = 9.2 for one watchlist.
    """

    account: float = 15.0
    positions: float = 15.0
    orders: float = 20.0
    orders_polling: float = 5.0  # when the stream is down, orders are polled instead
    positions_polling: float = 5.0  # ... and positions, whose fills no longer arrive by themselves
    clock: float = 60.0
    fills: float = 60.0
    # With the data stream up too, prices move by themselves: positions are read only to
    # reconcile. Snapshots for what the stream does not carry; the watchlists for changes
    # made on Alpaca's apps.
    positions_live: float = 30.0
    orders_live: float = 30.0
    quotes: float = 5.0
    watchlists: float = 120.0


@dataclass(frozen=True)
class Config:
    mode: Mode
    base_url: str
    data_url: str
    key_id: str = field(repr=False)
    secret_key: str = field(repr=False)
    intervals: Intervals = Intervals()
    request_timeout: float = 10.0  # per read: connecting, and each wait for bytes
    # The whole request, answer included: a server that trickles a byte at a time never
    # trips the per-read timeout, and an order must not hang on one (client.py).
    request_deadline: float = 15.0
    data_feed: str = "iex"  # the market-data stream's feed: iex (free plan), sip, delayed_sip
    data_symbol_limit: int = 30  # symbols the plan may stream at once (the free plan's 30)

    @property
    def stream_url(self) -> str:
        return f"{websocket_origin(self.base_url)}/stream"

    @property
    def data_stream_url(self) -> str:
        """The market-data websocket: Alpaca's stream host for its data host, else the
        data host itself (a simulator serves both on one port)."""
        stream_host = DATA_STREAM_HOSTS.get(host_of(self.data_url))
        origin = f"wss://{stream_host}" if stream_host else websocket_origin(self.data_url)
        return f"{origin}/v2/{self.data_feed}"

    @property
    def live(self) -> bool:
        return self.mode is Mode.LIVE

    @property
    def keys_configured(self) -> bool:
        return bool(self.key_id and self.secret_key)

    def with_intervals(self, intervals: Intervals) -> Config:
        return replace(self, intervals=intervals)


_LABELS = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")
MAX_KEY = 256  # Alpaca's key ids are 20 characters and secrets 40; anything this long is not a key


def normal_host(host: str) -> str:
    """The one spelling of a host name, so `API.alpaca.markets.`, `api。alpaca。markets`
    and `xn--...` forms compare equal: lower case, IDNA (ASCII) form, no trailing dot.
    Raises ValueError for what is not a host name or an IP address."""
    host = host.strip().strip("[]")
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        pass
    try:
        host = host.encode("idna").decode("ascii").lower()  # also maps full-width dots and letters
    except UnicodeError:
        raise ValueError("not a valid host name") from None
    host = host.rstrip(".")
    if not _LABELS.fullmatch(host):
        raise ValueError("not a valid host name")
    return host


def host_of(url: str) -> str:
    """The normalised host of a URL ('' when it has none or an invalid one)."""
    try:
        return normal_host(urlsplit(url).hostname or "")
    except ValueError:
        return ""


def websocket_origin(url: str) -> str:
    """ws(s)://host[:port] of an http(s) URL: wss for https."""
    parts = urlsplit(url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}"


def is_loopback(host: str) -> bool:
    if host == "localhost":  # not *.localhost: a resolver may send those anywhere
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def is_alpaca_host(url: str) -> bool:
    host = host_of(url)
    return host == "alpaca.markets" or host.endswith(".alpaca.markets")


def is_live_url(url: str) -> bool:
    return host_of(url) in LIVE_HOSTS


def normalise_base_url(url: str, variable: str = "ALPACA_BASE_URL") -> str:
    """scheme://host[:port] with the host in its one spelling (alpaca-py appends /v2 itself).

    Refused (ConfigError): anything but http(s); a user name or password in the URL; a host
    that is not a host name; and plain http to anything but this machine, which would send
    the secret key in clear text (only a local simulator may go without TLS)."""
    url = url.strip().rstrip("/")
    if url.endswith("/v2"):
        url = url[:-3]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{variable} is not an http(s) URL: {url!r}")
    if "@" in parts.netloc:
        raise ConfigError(f"{variable} must not hold a user name or password")
    try:
        host, port = normal_host(parts.hostname or ""), parts.port
    except ValueError:
        raise ConfigError(f"{variable} has no valid host name: {url!r}") from None
    if parts.scheme != "https" and not is_loopback(host):
        raise ConfigError(f"{variable} uses plain http to {host}: the secret key would cross the network "
                          f"unencrypted. Use https, or http only for a simulator on this machine "
                          f"(127.0.0.1, ::1, localhost)")
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port is not None else "")


def check_key(variable: str, value: str) -> str:
    """The key as read (surrounding blanks dropped), or ConfigError naming the variable,
    never the value: a line break or space inside would fail every request deep in the
    HTTP library, and the app would sit OFFLINE without saying why."""
    value = value.strip()
    if len(value) > MAX_KEY:
        raise ConfigError(f"{variable} is {len(value)} characters long: not an Alpaca key")
    if any(not ("!" <= ch <= "~") for ch in value):
        raise ConfigError(f"{variable} contains a space, a line break or another character no key has "
                          f"(check the quotes in .env)")
    return value


def data_feed(value: str) -> str:
    """ALPACA_DATA_FEED: iex (the default), sip or delayed_sip."""
    feed = value.strip().lower() or "iex"
    if feed not in DATA_FEEDS:
        raise ConfigError(f"ALPACA_DATA_FEED must be one of {', '.join(DATA_FEEDS)}, not {clean_value(value)!r}")
    return feed


def data_symbol_limit(value: str) -> int:
    """ALPACA_DATA_SYMBOL_LIMIT: how many symbols the plan streams at once, 1 to 10000 (default 30)."""
    text = value.strip()
    if not text:
        return 30
    if not (text.isascii() and text.isdigit() and len(text) <= 6 and 1 <= int(text) <= MAX_DATA_SYMBOLS):
        raise ConfigError(f"ALPACA_DATA_SYMBOL_LIMIT must be a whole number from 1 to {MAX_DATA_SYMBOLS}, "
                          f"not {clean_value(value)!r}")
    return int(text)


def clean_value(value: str) -> str:
    """A setting's value as an error message may quote it: printable, short."""
    return clean(value, one_line=True, limit=40)


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

    Raises ConfigError for a live endpoint without --live (and a paper one with it), an
    endpoint that would carry the keys in clear text, or a malformed key: all refused
    before any request.
    """
    key = check_key("ALPACA_API_KEY", env.get("ALPACA_API_KEY", ""))
    secret = check_key("ALPACA_SECRET_KEY", env.get("ALPACA_SECRET_KEY", ""))
    base = env.get("ALPACA_BASE_URL", "").strip()
    base_url = normalise_base_url(base) if base else (LIVE_URL if live else PAPER_URL)
    if is_live_url(base_url) and not live:
        raise ConfigError(f"ALPACA_BASE_URL points at the live account ({base_url}); "
                          "add --live to trade real money, or use the paper endpoint")
    if live and base and not is_live_url(base_url) and is_alpaca_host(base_url):
        raise ConfigError(f"--live was given but ALPACA_BASE_URL is the paper endpoint ({base_url})")
    feed = data_feed(env.get("ALPACA_DATA_FEED", ""))
    limit = data_symbol_limit(env.get("ALPACA_DATA_SYMBOL_LIMIT", ""))
    if not (key and secret):
        return None
    data = env.get("ALPACA_DATA_URL", "").strip()
    if data:
        data_url = normalise_base_url(data, "ALPACA_DATA_URL")
    else:
        data_url = DATA_URL if is_alpaca_host(base_url) else base_url
    return Config(Mode.LIVE if live else Mode.PAPER, base_url, data_url, key, secret,
                  data_feed=feed, data_symbol_limit=limit)
