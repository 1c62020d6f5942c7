"""The command line: clear sentences for mistakes, and no secret ever printed."""

from __future__ import annotations

import pytest

import cli


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("LAPOR_X_BEARER_TOKEN", "LAPOR_DEMO_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LAPOR_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    assert cli.main(["db", "upgrade"]) == 0
    return monkeypatch


def test_status_names_what_is_off_and_never_prints_a_secret(env, capsys):
    env.setenv("LAPOR_TELEGRAM_BOT_TOKEN", "123456:SECRET-telegram-token")
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "SECRET-telegram-token" not in out
    assert "LAPOR_X_BEARER_TOKEN is not set" in out
    assert "Telegram" in out and "Demo stream" in out
    # a bot token alone does not publish: campaign posts need the channel too
    assert "Publishing on telegram console — LAPOR_TELEGRAM_CHANNEL_ID is not set" in out


def test_listen_only_an_unknown_or_disabled_listener_is_a_sentence(env, capsys):
    assert cli.main(["listen", "--once", "--only", "tiktok"]) == 2
    assert "There is no listener 'tiktok'" in capsys.readouterr().err
    assert cli.main(["listen", "--once", "--only", "x"]) == 2
    assert "LAPOR_X_BEARER_TOKEN is not set" in capsys.readouterr().err


def test_import_of_a_missing_file_and_a_bad_map_are_sentences(env, capsys, tmp_path):
    assert cli.main(["import", str(tmp_path / "nope.csv")]) == 2
    assert "There is no file" in capsys.readouterr().err
    (tmp_path / "a.csv").write_text("id,text,created_at\n1,halo,2026-11-01\n")
    assert cli.main(["import", str(tmp_path / "a.csv"), "--map", "text"]) == 2
    assert "--map takes FIELD=COLUMN" in capsys.readouterr().err


def test_quarantine_list_on_an_empty_store(env, capsys):
    assert cli.main(["quarantine", "list"]) == 0
    assert "quarantine is empty" in capsys.readouterr().out


def test_campaigns_report_needs_an_id_and_a_folder_and_says_so(env, capsys):
    assert cli.main(["campaigns", "report"]) == 2
    assert "campaigns report needs the campaign id and --out FOLDER." in capsys.readouterr().err
    assert cli.main(["campaigns", "report", "9", "--out", "x"]) == 2
    assert "There is no campaign 9." in capsys.readouterr().err
    assert cli.main(["campaigns", "list"]) == 0
    assert "no campaigns yet" in capsys.readouterr().out
