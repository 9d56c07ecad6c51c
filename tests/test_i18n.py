"""Catalogs: French complete, placeholders intact, missing entries fall back to English."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from flows.engine.events import Msg
from flows.l10n.i18n import DEFAULT_LOCALES_DIR, Catalogs, autonym

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def source_messages() -> set[str]:
    """Every msgid in the code and the console's templates, extracted the way `make
    extract` does."""
    found: set[str] = set()
    for folder in ("bot", "flows"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / folder, keywords={"N_": None, "_": None, "plural": (1, 2)},
            method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")]
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(lang: str) -> Catalog:
    with (DEFAULT_LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        return read_po(fp, locale=lang)


def test_template_is_up_to_date() -> None:
    with (DEFAULT_LOCALES_DIR / "messages.pot").open("rb") as fp:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fp) if m.id}
    assert source_messages() == template, "run `make extract` after changing texts"


def test_french_is_complete_and_not_fuzzy() -> None:
    fr = catalog("fr")
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in fr
                  if m.id and all(m.string if isinstance(m.string, tuple) else [m.string])
                  and "fuzzy" not in m.flags}
    assert source_messages() - translated == set()


def test_french_placeholders_match_the_source() -> None:
    for message in catalog("fr"):
        if not message.id or not message.string:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else message.string
        for string in strings:
            assert set(PLACEHOLDER.findall(ids[-1])) == set(PLACEHOLDER.findall(string)), ids


def test_render_in_each_language() -> None:
    catalogs = Catalogs()
    msg = Msg("Thank you. You arrived on {date}.", {"date": "14 mars 2026"})
    assert catalogs.render("fr", msg) == "Merci. Vous êtes arrivé(e) le 14 mars 2026."
    assert catalogs.render("en", msg) == "Thank you. You arrived on 14 mars 2026."
    assert catalogs.render("fr_SN", Msg("Yes")) == "Oui"  # a regional variant: base language


def test_missing_entry_falls_back_to_english(tmp_path: Path) -> None:
    partial = Catalog(locale="de")
    partial.add("Yes", "Ja")
    partial.add("No", "")  # present but untranslated
    partial.add("Back", "Zurück", flags=["fuzzy"])  # fuzzy: not trusted
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.po").open("wb") as fp:
        write_po(fp, partial)
    catalogs = Catalogs(tmp_path)
    assert catalogs.languages == ["en", "de"]
    assert catalogs.render("de", Msg("Yes")) == "Ja"
    assert catalogs.render("de", Msg("No")) == "No"
    assert catalogs.render("de", Msg("Back")) == "Back"
    assert catalogs.render("de", Msg("Never translated")) == "Never translated"
    assert catalogs.render("sw", Msg("Yes")) == "Yes"  # a language with no catalog


def test_broken_placeholder_in_translation_falls_back(tmp_path: Path) -> None:
    bad = Catalog(locale="de")
    bad.add("Hello {name}", "Hallo {nom}")
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.po").open("wb") as fp:
        write_po(fp, bad)
    catalogs = Catalogs(tmp_path)
    assert catalogs.render("de", Msg("Hello {name}", {"name": "Amina"})) == "Hello Amina"


def test_best_match() -> None:
    catalogs = Catalogs()
    assert catalogs.best_match("fr-CA") == "fr"
    assert catalogs.best_match("pt-BR") == "en"
    assert catalogs.best_match(None, "fr") == "fr"


def test_language_names_are_their_own() -> None:
    assert autonym("fr") == "Français"
    assert autonym("ar") == "العربية"
    assert autonym("en") == "English"
