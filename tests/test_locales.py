"""`homecoming locales check` fails on each kind of defect, naming the file and line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import locales
from flows.l10n.i18n import DEFAULT_LOCALES_DIR


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    copy = tmp_path / "locales"
    shutil.copytree(DEFAULT_LOCALES_DIR, copy)
    return copy


def french(tree: Path) -> Path:
    return tree / "fr" / "LC_MESSAGES" / "messages.po"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_shipped_content_passes() -> None:
    assert locales.check(DEFAULT_LOCALES_DIR) == []


def test_missing_translation(tree: Path) -> None:
    edit(french(tree), 'msgstr "Retour"', 'msgstr ""')
    [problem] = locales.check(tree)
    assert "messages.po:" in problem and "missing translation: 'Back'" in problem


def test_fuzzy_translation(tree: Path) -> None:
    edit(french(tree), 'msgid "Back"', '#, fuzzy\nmsgid "Back"')
    [problem] = locales.check(tree)
    assert "fuzzy" in problem


def test_placeholder_differs(tree: Path) -> None:
    edit(french(tree), "Merci. Vous êtes arrivé(e) le {date}.", "Merci. Arrivée le {jour}.")
    [problem] = locales.check(tree)
    assert "placeholders ['jour'] differ from the source's ['date']" in problem


def test_bad_plural_forms(tree: Path) -> None:
    with french(tree).open("a", encoding="utf-8") as fp:
        fp.write('\nmsgid "{n} day"\nmsgid_plural "{n} days"\nmsgstr[0] "{n} jour"\n')
    [problem] = locales.check(tree)
    assert "1 plural forms, the catalog's Plural-Forms header says 2" in problem


def test_plural_forms_follow_the_catalog_header_as_gettext_does(tree: Path) -> None:
    """fr's header says 2 forms (CLDR in Babel 2.19 says 3): two forms pass, with a warning
    naming both counts; a header of 3 makes two forms a failure."""
    with french(tree).open("a", encoding="utf-8") as fp:
        fp.write('\nmsgid "{n} day"\nmsgid_plural "{n} days"\n'
                 'msgstr[0] "{n} jour"\nmsgstr[1] "{n} jours"\n')
    warnings: list[str] = []
    assert locales.check(tree, warnings) == []
    [warning] = [w for w in warnings if "fr/LC_MESSAGES" in w]
    assert "header has 2 form(s), CLDR has 3 for fr" in warning
    edit(french(tree), "nplurals=2; plural=(n > 1);",
         "nplurals=3; plural=(n == 0 || n == 1) ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2;")
    problems = locales.check(tree)
    assert any("{n} day" in p for p in problems)  # and every other plural entry of fr
    assert problems and all("2 plural forms, the catalog's Plural-Forms header says 3" in p
                            for p in problems)


def test_invalid_country_pack(tree: Path) -> None:
    (tree / "countries" / "SN.yaml").write_text("code: SN\nname: S\ntimezone: Nowhere\n",
                                                encoding="utf-8")
    [problem] = locales.check(tree)
    assert "SN.yaml: timezone" in problem


def test_lexicon_that_does_not_parse(tree: Path) -> None:
    (tree / "es" / "distress.yaml").write_text("language: es\ncategories: [\n",
                                               encoding="utf-8")
    [problem] = locales.check(tree)
    assert "es/distress.yaml:3: not valid YAML" in problem


def test_cli_check_and_stats(tree: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMECOMING_")}
    env["HOMECOMING_LOCALES_DIR"] = str(tree)
    ok = subprocess.run([sys.executable, "-m", "bot", "locales", "check"], capture_output=True,
                        text=True, env=env, cwd=tmp_path, timeout=60)
    assert ok.returncode == 0, ok.stdout
    stats = subprocess.run([sys.executable, "-m", "bot", "locales", "stats"],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert "fr" in stats.stdout and "100%" in stats.stdout
    assert "draft, awaiting review by a country office" in stats.stdout
    edit(french(tree), 'msgstr "Retour"', 'msgstr ""')
    bad = subprocess.run([sys.executable, "-m", "bot", "locales", "check"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert bad.returncode == 1 and "missing translation" in bad.stdout
