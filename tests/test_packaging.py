"""The wheel carries every package and the content the bot reads (issue: installs)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed_for_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for top in ("bot", "flows", "storage") for init in (ROOT / top).rglob("__init__.py")}
    assert found - listed == set(), "add these to [tool.setuptools] packages"
    assert "homecoming_locales" in listed
    assert config["tool"]["setuptools"]["package-dir"]["homecoming_locales"] == "locales"


def test_content_files_are_package_data() -> None:
    """Each kind of file under locales/ is matched by a package-data pattern."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["homecoming_locales"]
    locales = ROOT / "locales"
    shipped = [p for p in locales.rglob("*") if p.is_file() and p.suffix in
               {".po", ".pot", ".yaml", ".md", ".npz"}]
    assert shipped
    unmatched = [p for p in shipped if not any(p.relative_to(locales).match(pattern)
                                               for pattern in patterns)]
    assert unmatched == []


def test_the_licence_file_is_the_declared_licence() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["project"]["license"] == "AGPL-3.0-or-later"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007")
