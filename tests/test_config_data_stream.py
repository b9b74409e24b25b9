"""The market-data stream's settings: its URL for Alpaca's hosts, a simulator's and demo
mode, and ALPACA_DATA_FEED / ALPACA_DATA_SYMBOL_LIMIT read with bounds (bad values are
refused before any request, like the other settings)."""

from __future__ import annotations

import pytest

from tui.config import ConfigError, demo_config, from_env

KEYS = {"ALPACA_API_KEY": "AKTESTKEY", "ALPACA_SECRET_KEY": "s3cr3t-value"}


@pytest.mark.parametrize("env, url", [
    ({}, "wss://stream.data.alpaca.markets/v2/iex"),
    ({"ALPACA_DATA_FEED": "sip"}, "wss://stream.data.alpaca.markets/v2/sip"),
    ({"ALPACA_DATA_FEED": " Delayed_SIP "}, "wss://stream.data.alpaca.markets/v2/delayed_sip"),
    ({"ALPACA_DATA_URL": "https://DATA.alpaca.markets."}, "wss://stream.data.alpaca.markets/v2/iex"),
    ({"ALPACA_BASE_URL": "http://127.0.0.1:8765"}, "ws://127.0.0.1:8765/v2/iex"),
    ({"ALPACA_BASE_URL": "http://[::1]:8765", "ALPACA_DATA_FEED": "sip"}, "ws://[::1]:8765/v2/sip"),
    ({"ALPACA_DATA_URL": "https://data.example.com:8443"}, "wss://data.example.com:8443/v2/iex"),
])
def test_the_data_stream_url(env, url):
    config = from_env({**KEYS, **env}, live=False)
    assert config.data_stream_url == url


def test_demo_mode_streams_from_the_simulator_it_started():
    config = demo_config("http://127.0.0.1:5678")
    assert config.data_stream_url == "ws://127.0.0.1:5678/v2/iex" and config.data_symbol_limit == 30


@pytest.mark.parametrize("value, limit", [("", 30), ("1", 1), (" 200 ", 200), ("10000", 10000)])
def test_the_symbol_limit(value, limit):
    assert from_env({**KEYS, "ALPACA_DATA_SYMBOL_LIMIT": value}, live=False).data_symbol_limit == limit


@pytest.mark.parametrize("variable, value", [
    ("ALPACA_DATA_FEED", "otc"), ("ALPACA_DATA_FEED", "test"), ("ALPACA_DATA_FEED", "iex/../x"),
    ("ALPACA_DATA_FEED", "\x1b[2Jsip"), ("ALPACA_DATA_SYMBOL_LIMIT", "0"), ("ALPACA_DATA_SYMBOL_LIMIT", "10001"),
    ("ALPACA_DATA_SYMBOL_LIMIT", "-5"), ("ALPACA_DATA_SYMBOL_LIMIT", "3.5"), ("ALPACA_DATA_SYMBOL_LIMIT", "1e3"),
    ("ALPACA_DATA_SYMBOL_LIMIT", "٣٠"), ("ALPACA_DATA_SYMBOL_LIMIT", "9" * 5000),
    ("ALPACA_DATA_SYMBOL_LIMIT", "lots"),
])
def test_bad_values_are_refused_naming_the_variable(variable, value):
    with pytest.raises(ConfigError) as refused:
        from_env({**KEYS, variable: value}, live=False)
    message = str(refused.value)
    assert variable in message and "\x1b" not in message and len(message) < 200
    with pytest.raises(ConfigError):  # also before the keys are looked at
        from_env({variable: value}, live=False)
