"""Translations: gettext catalogs under ``locales/<lang>/LC_MESSAGES/messages.po``.

English is the source language (the msgids); a missing or fuzzy entry falls back to English.
Compiled ``.mo`` files are used when they are up to date; otherwise the ``.po`` is compiled
in memory, so an edited catalog is never silently ignored.
"""

from __future__ import annotations

import gettext
import importlib.util
import io
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from flows.engine.events import Button, Msg

DOMAIN = "messages"
SOURCE_LOCALE = "en"


def _locales_dir() -> Path:
    """``locales/`` of the checkout, else the copy installed with the wheel (the package
    ``homecoming_locales``), so that ``pip install .`` runs without a checkout."""
    checkout = Path(__file__).resolve().parents[2] / "locales"
    if checkout.is_dir():
        return checkout
    spec = importlib.util.find_spec("homecoming_locales")
    if spec is not None and spec.origin:
        return Path(spec.origin).parent
    return checkout


DEFAULT_LOCALES_DIR = _locales_dir()


def N_(msgid: str) -> str:
    """Mark a string for extraction; it is translated later, in the reader's language."""
    return msgid


def plural(singular: str, plural: str, n: int, **params: Any) -> Msg:
    """A message whose wording depends on a number (``{n}``), in every language's plural
    forms: extracted as one entry with its plural."""
    return Msg(singular, {"n": n, **params}, plural=plural, n=n)


@lru_cache(maxsize=256)
def autonym(code: str) -> str:
    """A language's name in that language ("français", "العربية"), from CLDR via Babel."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:]


def is_known_locale(code: str) -> bool:
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return False
    return True


class CatalogError(ValueError):
    """A catalog that cannot be read; the message names the file."""


class Catalogs:
    """All translations, loaded once; ``render`` turns a Msg into text in a language."""

    def __init__(self, locales_dir: Path = DEFAULT_LOCALES_DIR) -> None:
        self.locales_dir = locales_dir
        self._translations: dict[str, gettext.NullTranslations] = {
            SOURCE_LOCALE: gettext.NullTranslations()
        }
        for po in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            lang = po.parent.parent.name
            self._translations[lang] = self._load(po)

    @staticmethod
    def _load(po: Path) -> gettext.NullTranslations:
        mo = po.with_suffix(".mo")
        try:
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                with mo.open("rb") as fp:
                    return gettext.GNUTranslations(fp)
            with po.open("rb") as fp:
                catalog = read_po(fp, locale=po.parent.parent.name)
            buf = io.BytesIO()
            write_mo(buf, catalog)
            buf.seek(0)
            return gettext.GNUTranslations(buf)
        except Exception as exc:  # a broken catalog must name itself, not crash obscurely
            raise CatalogError(f"{po}: cannot be read ({type(exc).__name__})") from exc

    @property
    def languages(self) -> list[str]:
        """Language codes with a catalog, the source language first."""
        others = sorted(code for code in self._translations if code != SOURCE_LOCALE)
        return [SOURCE_LOCALE, *others]

    def best_match(self, requested: str | None, default: str = SOURCE_LOCALE) -> str:
        """The shipped language closest to ``requested`` ("fr-CA" → "fr"), else ``default``."""
        if requested:
            code = requested.replace("-", "_")
            if code in self._translations:
                return code
            base = code.split("_", 1)[0].lower()
            if base in self._translations:
                return base
        return default if default in self._translations else SOURCE_LOCALE

    def _for(self, locale: str) -> gettext.NullTranslations:
        return self._translations.get(locale) or self._translations[self.best_match(locale)]

    def gettext(self, locale: str, msgid: str) -> str:
        return self._for(locale).gettext(msgid)

    def ngettext(self, locale: str, singular: str, plural: str, n: int) -> str:
        return self._for(locale).ngettext(singular, plural, n)

    def render(self, locale: str, msg: Msg | str,
               overrides: Mapping[str, str] | None = None) -> str:
        """``msg`` in ``locale``; a country's own wording (``overrides``, keyed by the
        English source) comes first, the catalog next, English last."""
        if isinstance(msg, str):
            return msg
        if overrides and msg.plural is None and msg.msgid in overrides:
            template = overrides[msg.msgid]
        elif msg.plural is not None:
            template = self.ngettext(locale, msg.msgid, msg.plural, msg.n or 0)
        else:
            template = self.gettext(locale, msg.msgid)
        if not msg.params and msg.n is None:
            return template
        params: dict[str, Any] = {
            key: self.render(locale, value, overrides) if isinstance(value, Msg)
            # a tuple of parts (lines of a plan): each rendered, one per line
            else "\n".join(self.render(locale, v, overrides) for v in value)
            if isinstance(value, tuple) else value
            for key, value in msg.params.items()
        }
        if msg.n is not None:
            params.setdefault("n", msg.n)
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            # A translation with broken placeholders must not silence the bot: use English.
            source = msg.msgid if msg.plural is None or msg.n == 1 else msg.plural
            return source.format(**params)

    def render_buttons(
        self, locale: str, buttons: Iterable[Button],
        overrides: Mapping[str, str] | None = None,
    ) -> list[dict[str, str]]:
        return [{"label": self.render(locale, b.label, overrides), "data": b.payload}
                for b in buttons]
