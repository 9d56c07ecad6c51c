"""The `homecoming` command as a newcomer uses it: chat, db upgrade, flows graph."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from flows.engine.registry import FLOWS


def homecoming(*args: str, stdin: str = "", cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMECOMING_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin, capture_output=True, text=True, env=env, cwd=cwd, timeout=120,
    )


def test_chat_onboarding_in_french_then_continue_at_the_menu(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    answers = "\n".join([
        "Français",     # the label, typed
        "1",            # Continuer
        "1",            # Oui: follow-up
        "1",            # Oui: sharing
        "Sénégal",
        "1",            # Oui, je suis rentré(e)
        "31/02/2026",   # impossible
        "14/03/2026",
        "1",            # the date said back: yes, that is right
        "/quit",
    ])
    first = homecoming("chat", "--db", str(db), stdin=answers + "\n", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "] Français" in out and "] Español" in out
    assert "Cette date n'existe pas" in out
    assert "14 mars 2026" in out
    assert "Que voulez-vous faire ?" in out
    assert "[1] Informations" in out and "[2] Parler à une personne" in out
    assert first.stderr == ""

    second = homecoming("chat", "--db", str(db), stdin="/quit\n", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "Que voulez-vous faire ?" in second.stdout
    assert "Au revoir." in second.stdout  # the farewell too is in the person's language
    assert "Quelle langue" not in second.stdout
    rows = sqlite3.connect(db).execute("SELECT flow, state FROM conversations").fetchall()
    assert rows == [("menu", "main")]


def test_chat_quits_cleanly_at_end_of_input(tmp_path: Path) -> None:
    result = homecoming("chat", "--db", str(tmp_path / "c.db"), "--lang", "fr", stdin="",
                        cwd=tmp_path)
    assert result.returncode == 0
    assert "Bonjour. Quelle langue voulez-vous utiliser ?" in result.stdout


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    result = homecoming("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    from tests.test_storage import db_head

    assert f"database at revision {db_head()}" in result.stdout
    tables = {r[0] for r in sqlite3.connect(tmp_path / "var" / "homecoming.db").execute(
        "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"participants", "consents", "conversations", "outbox", "processed_updates",
            "audit_log", "alembic_version"} <= tables


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_flows_graph_draws_every_state_and_transition(name: str, tmp_path: Path) -> None:
    result = homecoming("flows", "graph", name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "stateDiagram-v2" in result.stdout
    flow = FLOWS[name]
    for state in flow.state_names():
        assert f'state "{state}" as {state}' in result.stdout
    edges = [line.strip() for line in result.stdout.splitlines() if " --> " in line]
    for t in flow.transitions:
        sources = [t["source"]] if isinstance(t["source"], str) else t["source"]
        for source in sources:
            dest = source if t["dest"] is None else t["dest"]
            assert any(
                e.startswith(f"{source} --> {dest}:") and t["trigger"] in e for e in edges
            ), t


def test_flows_graph_unknown_name(tmp_path: Path) -> None:
    result = homecoming("flows", "graph", "nope", cwd=tmp_path)
    assert result.returncode == 2
    assert "no flow named 'nope'" in result.stderr


def test_chat_demo_clock_brings_a_checkin(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    answers = "\n".join(["Français", "1", "1", "1", "Sénégal", "1", "14/03/2026", "1",
                         # Three moves 8 hours apart: one lands in the allowed hours (9-20).
                         "/advance 30d", "/advance 8h", "/advance 8h", "/quit"])
    result = homecoming("chat", "--db", str(db), stdin=answers + "\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(horloge de démonstration : il est maintenant" in result.stdout
    assert result.stdout.count("C'est l'heure de votre suivi") == 1


def test_chat_refuses_broken_content_with_one_line(tmp_path: Path) -> None:
    import shutil

    from flows.l10n.i18n import DEFAULT_LOCALES_DIR

    locales = tmp_path / "locales"
    shutil.copytree(DEFAULT_LOCALES_DIR, locales)
    (locales / "countries" / "SN.yaml").write_text("code: SN\nname: [broken\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMECOMING_")}
    env["HOMECOMING_LOCALES_DIR"] = str(locales)
    result = subprocess.run([sys.executable, "-m", "bot", "chat", "--db", str(tmp_path / "c.db")],
                            input="/quit\n", capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "countries/SN.yaml:3: not valid YAML" in line


def test_chat_with_a_country_offers_it(tmp_path: Path) -> None:
    answers = "\n".join(["Français", "1", "1", "1", "1", "/quit"])
    result = homecoming("chat", "--db", str(tmp_path / "c.db"), "--country", "af",
                        stdin=answers + "\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[1] Afghanistan" in result.stdout
    assert "Êtes-vous déjà de retour dans ce pays : Afghanistan ?" in result.stdout
    bad = homecoming("chat", "--country", "XX1", stdin="/quit\n", cwd=tmp_path)
    assert bad.returncode == 2 and "is not a country code" in bad.stderr
