"""Configuration that would leak the keys or trade the wrong account is refused before
any request: clear-text endpoints off this machine, host spellings that dodge the live
guard, and keys with characters no key has."""

from __future__ import annotations

import pytest

from tui import cli
from tui.config import ConfigError, Mode, from_env, normalise_base_url

KEYS = {"ALPACA_API_KEY": "AKTESTKEY", "ALPACA_SECRET_KEY": "s3cr3t-value"}


# ---- 4: plain http only to this machine ------------------------------------------------

@pytest.mark.parametrize("variable", ["ALPACA_BASE_URL", "ALPACA_DATA_URL"])
@pytest.mark.parametrize("url", ["http://10.1.2.3:8765", "http://example.com", "http://0.0.0.0:8765",
                                 "http://sim.localhost:8765", "HTTP://Example.COM./v2"])
def test_plain_http_to_another_host_is_refused_naming_the_host(variable, url):
    env = {**KEYS, "ALPACA_BASE_URL": "http://127.0.0.1:8765", variable: url}
    with pytest.raises(ConfigError) as refused:
        from_env(env, live=False)
    message = str(refused.value)
    assert variable in message and "unencrypted" in message
    assert normalise_base_url("https" + url[4:]).split("//")[1].split(":")[0] in message  # the host, named
    assert KEYS["ALPACA_SECRET_KEY"] not in message


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://127.9.8.7:1", "http://[::1]:8765",
                                 "http://localhost:8765", "http://LOCALHOST.:8765"])
def test_plain_http_to_this_machine_is_allowed(url):
    config = from_env({**KEYS, "ALPACA_BASE_URL": url}, live=False)
    assert config.base_url.startswith("http://") and config.stream_url.startswith("ws://")


def test_a_url_with_a_password_in_it_is_refused_without_showing_it():
    with pytest.raises(ConfigError) as refused:
        from_env({**KEYS, "ALPACA_BASE_URL": "https://me:hunter2@paper-api.alpaca.markets"}, live=False)
    assert "hunter2" not in str(refused.value)


def test_the_cli_exits_2_before_any_request(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env here
    for name, value in {**KEYS, "ALPACA_BASE_URL": "http://192.0.2.7:8765"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(cli, "run_app", lambda *a, **k: pytest.fail("the app must not start"))
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert "192.0.2.7" in err and KEYS["ALPACA_SECRET_KEY"] not in err


# ---- 5: one spelling of each host before the paper/live decision -----------------------

LIVE_SPELLINGS = ["https://api.alpaca.markets.", "https://API.Alpaca.Markets", "https://api.alpaca.markets.:443/v2",
                  "https://api\u3002alpaca\u3002markets", "https://ａｐｉ.alpaca.markets", "https://api.alpaca.markets:443"]


@pytest.mark.parametrize("url", LIVE_SPELLINGS)
def test_every_spelling_of_the_live_host_needs_live(url):
    with pytest.raises(ConfigError, match="--live"):
        from_env({**KEYS, "ALPACA_BASE_URL": url}, live=False)
    config = from_env({**KEYS, "ALPACA_BASE_URL": url}, live=True)
    assert config.mode is Mode.LIVE and config.base_url.startswith("https://api.alpaca.markets")
    assert config.data_url == "https://data.alpaca.markets"


@pytest.mark.parametrize("url", ["https://paper-api.alpaca.markets.", "https://PAPER-API.alpaca.markets",
                                 "https://paper-api.alpaca.markets.:443", "https://paper-api\uff0ealpaca.markets"])
def test_live_with_any_spelling_of_the_paper_host_is_refused(url):
    with pytest.raises(ConfigError, match="paper"):
        from_env({**KEYS, "ALPACA_BASE_URL": url}, live=True)
    assert from_env({**KEYS, "ALPACA_BASE_URL": url}, live=False).mode is Mode.PAPER


@pytest.mark.parametrize("url", ["https://a..b", "https://bad host.com", "https://x:99999", "https://%61pi.alpaca.markets"])
def test_a_url_without_a_valid_host_is_refused(url):
    with pytest.raises(ConfigError, match="host"):
        from_env({**KEYS, "ALPACA_BASE_URL": url}, live=False)


# ---- 11: keys checked when read ----------------------------------------------------------

@pytest.mark.parametrize("variable", ["ALPACA_API_KEY", "ALPACA_SECRET_KEY"])
@pytest.mark.parametrize("bad", ["abc\ndef", "abc def", "abc\tdef", "abc\x00def", "abc\x1b[2Jdef", "abcé",
                                 pytest.param("x" * 300, id="too-long")])
def test_a_key_with_characters_no_key_has_is_refused_naming_the_variable_not_the_value(variable, bad):
    with pytest.raises(ConfigError) as refused:
        from_env({**KEYS, variable: bad}, live=False)
    message = str(refused.value)
    assert variable in message and bad not in message and "abc" not in message


def test_a_newline_in_dotenv_is_refused_by_the_cli(monkeypatch, capsys, tmp_path):
    (tmp_path / ".env").write_text('ALPACA_API_KEY=AKTESTKEY\nALPACA_SECRET_KEY="first\nsecond"\n')
    monkeypatch.chdir(tmp_path)
    for name in ("ALPACA_API_KEY", "ALPACA_SECRET_KEY", "ALPACA_BASE_URL", "ALPACA_DATA_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cli, "run_app", lambda *a, **k: pytest.fail("the app must not start"))
    monkeypatch.setattr(cli, "run_demo", lambda *a, **k: pytest.fail("the demo must not start"))
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert "ALPACA_SECRET_KEY" in err and "first" not in err and "second" not in err


def test_blanks_around_a_key_are_dropped():
    config = from_env({"ALPACA_API_KEY": "  AKTESTKEY\n", "ALPACA_SECRET_KEY": "\tsecret \n"}, live=False)
    assert (config.key_id, config.secret_key) == ("AKTESTKEY", "secret")
