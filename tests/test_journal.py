"""The audit journal: append-only JSON lines, 0600, fsynced, pending intents found again."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tui.broker.journal import ENV_VAR, Journal, JournalError, choose_path, default_path


def journal(tmp_path, **kw) -> Journal:
    return Journal(tmp_path / "sub" / "audit.jsonl", mode=kw.get("mode", "paper"),
                   endpoint=kw.get("endpoint", "http://127.0.0.1:8765"))


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_intent_and_outcome_lines_in_a_private_file(tmp_path):
    j = journal(tmp_path)
    intent = j.intent("order", {"symbol": "AAPL", "qty": "10"}, "tui-abc")
    j.outcome(intent, "accepted", order_id="o-1", status="new")
    records = lines(j.path)
    assert [r["event"] for r in records] == ["intent", "outcome"]
    assert records[0]["client_order_id"] == "tui-abc" and records[0]["what"]["symbol"] == "AAPL"
    assert records[1]["intent"] == intent and records[1]["order_id"] == "o-1"
    assert stat.S_IMODE(os.stat(j.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(j.path.parent).st_mode) == 0o700


def test_appends_across_runs_and_closes_an_open_file_to_others(tmp_path):
    path = tmp_path / "audit.jsonl"
    path.write_text('{"event":"old"}\n')
    os.chmod(path, 0o644)
    j = Journal(path, mode="paper", endpoint="e")
    j.intent("cancel", {"order_id": "x"})
    assert lines(path)[0] == {"event": "old"} and len(lines(path)) == 2
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_pending_is_what_has_no_definite_outcome_for_this_endpoint(tmp_path):
    j = journal(tmp_path)
    done = j.intent("order", {}, "a")
    j.outcome(done, "accepted")
    unknown = j.intent("order", {}, "b")
    j.outcome(unknown, "unknown")
    j.intent("close", {"symbol": "AAPL"})  # killed before any outcome
    Journal(j.path, mode="paper", endpoint="http://elsewhere").intent("order", {}, "c")
    Journal(j.path, mode="demo", endpoint=j.endpoint).intent("order", {}, "d")
    with open(j.path, "a") as f:
        f.write('{"event": "intent", "torn')  # a crash mid-line
    j.close()  # the next run opens it again
    assert [p.get("client_order_id") for p in j.pending()] == ["b", None]
    j.outcome(unknown, "settled", note="the order was placed")
    assert [p["action"] for p in j.pending()] == ["close"]


def test_no_file_means_nothing_pending(tmp_path):
    assert journal(tmp_path).pending() == []


def test_an_unwritable_journal_raises_instead_of_losing_the_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    j = Journal(blocker / "audit.jsonl", mode="paper", endpoint="e")  # a file where a directory should be
    with pytest.raises(JournalError, match="audit journal"):
        j.intent("order", {}, "x")


def test_where_the_journal_goes(tmp_path):
    assert choose_path(str(tmp_path / "cli.jsonl"), {ENV_VAR: "/env.jsonl"}) == tmp_path / "cli.jsonl"
    assert str(choose_path(None, {ENV_VAR: "/tmp/env.jsonl"})) == "/tmp/env.jsonl"
    assert choose_path(None, {}) == default_path()
    assert default_path().name == "audit.jsonl" and "alpaca-tui" in str(default_path())
