"""Country packs: the shipped samples load; a bad pack names its file and problem."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from flows.l10n.countries import CountryPackError, CountryPacks


def test_shipped_samples_are_valid_and_marked() -> None:
    packs = CountryPacks.load()
    assert {"SN", "AF", "NG"} <= set(packs.packs)
    for pack in packs.packs.values():
        assert pack.sample  # "sample, verify before use"
        assert pack.ack_target(1) == timedelta(minutes=15)
    assert [c.kind for c in packs.get("SN").safe_contacts] == ["ambulance", "fire_rescue"]
    assert packs.get("XX").name == "(no country pack)"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("code: SN\nname: S\ntimezone: Mars/Olympus\n", "timezone"),
        ("code: SN\nname: S\nallowed_hours: [20, 9]\n", "allowed_hours"),
        ("code: SN\nname: S\nacknowledgement_minutes: {1: 15}\n", "acknowledgement_minutes"),
        ("code: SN\nname: S\nschedule_overrides: {standard: {checkin: [soon]}}\n",
         "schedule_overrides"),
        ("code: SN\nname: [unclosed\n", "not valid YAML"),
        ("code: NG\nname: S\n", "does not match the file name"),
    ],
)
def test_a_bad_pack_is_refused_with_file_and_problem(tmp_path: Path, content: str,
                                                     problem: str) -> None:
    folder = tmp_path / "countries"
    folder.mkdir()
    (folder / "SN.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(CountryPackError, match=problem) as caught:
        CountryPacks.load(tmp_path)
    assert "SN.yaml" in str(caught.value)
