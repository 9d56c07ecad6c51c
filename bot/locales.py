"""``homecoming locales``: tools for translators and country offices.

``check`` reports every problem that would show a person a wrong or missing text: missing or
fuzzy translations, placeholders that differ from the English source, plural entries whose
forms do not match the catalog's own ``Plural-Forms`` header (the count gettext uses at run
time), and lexicons or country packs that do not parse. A header that disagrees with CLDR (as
the installed Babel ships it) is a warning naming both counts, not a failure: CLDR changes
between Babel releases, and the translator decides. ``stats`` shows coverage, review status
and those warnings per language. ``extract``, ``update`` and ``compile`` wrap Babel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from flows.l10n.content import ContentError
from flows.l10n.countries import CountryPacks
from flows.l10n.i18n import DOMAIN
from flows.triage import Triage

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w*)\}")
REVIEW = re.compile(r"^#?\s*Review status:\s*(.+)$", re.MULTILINE | re.IGNORECASE)


@dataclass
class CatalogReport:
    language: str
    path: Path
    total: int = 0
    translated: int = 0
    fuzzy: int = 0
    review: str = "not stated"
    plural_forms: int = 0  # the catalog's header, as gettext reads it
    cldr_plural_forms: int = 0  # what CLDR says for the language
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def catalogs(locales_dir: Path) -> list[Path]:
    return sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def inspect_catalog(path: Path) -> CatalogReport:
    language = path.parent.parent.name
    report = CatalogReport(language, path)
    try:
        with path.open("rb") as fp:
            catalog = read_po(fp, locale=language)
    except Exception as exc:
        report.problems.append(f"{path}: cannot be read ({type(exc).__name__}: {exc})")
        return report
    review = REVIEW.search(catalog.header_comment or "")
    report.review = review.group(1).strip() if review else "not stated"
    expected = report.plural_forms = catalog.num_plurals  # from Plural-Forms, else CLDR
    report.cldr_plural_forms = get_plural(language).num_plurals
    if expected != report.cldr_plural_forms:
        report.warnings.append(
            f"{path}: warning: the Plural-Forms header has {expected} form(s), CLDR has "
            f"{report.cldr_plural_forms} for {language}; gettext uses the header. A translator "
            f"may change the header and add the forms (not a failure)")
    for message in catalog:
        if not message.id:
            continue
        report.total += 1
        where = f"{path}:{message.lineno}"
        source = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if "fuzzy" in message.flags:
            report.fuzzy += 1
            report.problems.append(f"{where}: fuzzy (needs review): {source[:60]!r}")
            continue
        if not any(strings):
            report.problems.append(f"{where}: missing translation: {source[:60]!r}")
            continue
        report.translated += 1
        given = sum(1 for text in strings if text)
        if isinstance(message.id, tuple) and (len(strings) != expected or given != expected):
            report.problems.append(f"{where}: {given} plural forms, the catalog's "
                                   f"Plural-Forms header says {expected}: {source[:60]!r}")
        wanted = set(PLACEHOLDER.findall(source))
        # A plural form may say its number in words ("بعد شهرين", after two months): only
        # the count {n} may be left out, and only in plural entries.
        allowed = [wanted, wanted - {"n"}] if isinstance(message.id, tuple) else [wanted]
        for text in strings:
            if text and set(PLACEHOLDER.findall(text)) not in allowed:
                report.problems.append(
                    f"{where}: placeholders {sorted(set(PLACEHOLDER.findall(text)))} differ "
                    f"from the source's {sorted(wanted)}: {source[:60]!r}")
                break
    return report


def check(locales_dir: Path, warnings: list[str] | None = None) -> list[str]:
    """Every problem found, one line each, naming the file (and line where known); warnings
    (not failures) are appended to ``warnings`` when given."""
    problems: list[str] = []
    for path in catalogs(locales_dir):
        report = inspect_catalog(path)
        problems.extend(report.problems)
        if warnings is not None:
            warnings.extend(report.warnings)
    for loader in (Triage.load, CountryPacks.load):
        try:
            loader(locales_dir)
        except ContentError as exc:
            problems.append(str(exc))
    return problems


def stats(locales_dir: Path) -> list[CatalogReport]:
    return [inspect_catalog(path) for path in catalogs(locales_dir)]


def babel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", *args])


def extract(locales_dir: Path) -> None:
    babel("extract", "-F", str(ROOT / "babel.cfg"), "-k", "N_", "-k", "plural:1,2",
          "--no-location",
          "--sort-output", "--project=Homecoming",
          "--copyright-holder=Homecoming contributors",
          "-o", str(locales_dir / "messages.pot"), str(ROOT))


def update(locales_dir: Path) -> None:
    babel("update", "--no-fuzzy-matching", "-i", str(locales_dir / "messages.pot"),
          "-d", str(locales_dir), "--width", "100")


def compile_all(locales_dir: Path) -> None:
    for path in catalogs(locales_dir):
        babel("compile", "-i", str(path), "-o", str(path.with_suffix(".mo")))
