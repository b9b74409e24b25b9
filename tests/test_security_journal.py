"""The audit journal never follows a link or writes into anything but a regular file of
the user's own, and a journal that cannot be opened stops the app before any request."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from tui import cli
from tui.broker.journal import Journal, JournalError

from .hostile import hostile  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="POSIX only")


def test_a_symlink_is_refused_and_its_target_left_alone(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    os.chmod(target, 0o644)
    link = tmp_path / "audit.jsonl"
    link.symlink_to(target)
    journal = Journal(link, mode="paper", endpoint="e")
    with pytest.raises(JournalError, match="symbolic link") as refused:
        journal.intent("order", {"symbol": "AAPL"}, "tui-1")
    assert str(link) in str(refused.value)
    assert target.read_text() == "keep me\n" and stat.S_IMODE(target.stat().st_mode) == 0o644
    with pytest.raises(JournalError, match="symbolic link"):
        journal.pending()


def test_a_dangling_symlink_is_refused_and_creates_nothing(tmp_path):
    link = tmp_path / "audit.jsonl"
    link.symlink_to(tmp_path / "made-elsewhere")
    with pytest.raises(JournalError, match="symbolic link"):
        Journal(link, mode="paper", endpoint="e").open()
    assert not (tmp_path / "made-elsewhere").exists()


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "audit.jsonl"
    os.mkfifo(fifo)
    reader_fd: list[int] = []
    # A reader holds the other end, so the open itself succeeds: the type check must refuse it.
    opener = threading.Thread(target=lambda: reader_fd.append(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)))
    opener.start()
    opener.join(5)
    try:
        with pytest.raises(JournalError, match="not a regular file"):
            Journal(fifo, mode="paper", endpoint="e").open()
    finally:
        for fd in reader_fd:
            os.close(fd)
    with pytest.raises(JournalError):  # and with no reader at all it neither hangs nor writes
        Journal(fifo, mode="paper", endpoint="e").intent("order", {}, "x")


def test_a_directory_is_refused(tmp_path):
    (tmp_path / "audit.jsonl").mkdir()
    with pytest.raises(JournalError, match="audit.jsonl"):
        Journal(tmp_path / "audit.jsonl", mode="paper", endpoint="e").open()


def test_a_new_journal_is_private_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        journal = Journal(tmp_path / "audit.jsonl", mode="paper", endpoint="e")
        journal.intent("order", {}, "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "audit.jsonl").stat().st_mode) == 0o600


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to make another user's file")
def test_another_users_file_is_refused(tmp_path):
    path = tmp_path / "audit.jsonl"
    path.write_text("")
    os.chown(path, 65534, 65534)
    with pytest.raises(JournalError, match="another user"):
        Journal(path, mode="paper", endpoint="e").open()


class NoApp:
    made = 0

    def __init__(self, *args, **kwargs) -> None:
        NoApp.made += 1
        self.return_code = 0

    def run(self) -> None:
        pass


def test_the_cli_exits_2_before_the_app_or_any_request(hostile, tmp_path, monkeypatch, capsys):
    import tui.ui.app

    fake = hostile()
    target = tmp_path / "target"
    target.write_text("")
    link = tmp_path / "audit.jsonl"
    link.symlink_to(target)
    monkeypatch.chdir(tmp_path)
    for name, value in {"ALPACA_API_KEY": "AKTESTKEY", "ALPACA_SECRET_KEY": "s3cr3t",
                        "ALPACA_BASE_URL": fake.url}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(tui.ui.app, "AlpacaApp", NoApp)
    NoApp.made = 0
    assert cli.main(["--audit-log", str(link)]) == 2
    err = capsys.readouterr().err
    assert str(link) in err and "symbolic link" in err and "s3cr3t" not in err
    assert NoApp.made == 0 and fake.requests == [] and target.read_text() == ""
