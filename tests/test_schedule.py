"""Schedule rules (pure): each profile as domain.md §6 says, local hours, daylight saving."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from flows.followups.schedule import Kind, Profile, add_months, at_local, next_allowed, plan

RETURN = date(2026, 1, 15)


def months_after(day: date) -> float:
    return (day - RETURN).days / 30.44


def checkins(profile: Profile) -> list[date]:
    return [p.day for p in plan(RETURN, profile) if p.kind is Kind.CHECKIN]


def test_standard_every_two_weeks_then_monthly_to_a_year() -> None:
    days = checkins(Profile.STANDARD)
    first_three = [d for d in days if months_after(d) <= 3]
    assert [(b - a).days for a, b in itertools.pairwise(first_three)] == [14] * 5
    later = [d for d in days if months_after(d) > 3]
    assert all(d.day == 15 for d in later) and len(later) == 9  # months 4 … 12
    assert months_after(days[-1]) == pytest.approx(12, abs=0.1)


def test_vulnerable_weekly_in_the_first_month_and_longer() -> None:
    days = checkins(Profile.VULNERABLE)
    assert days[:4] == [date(2026, 1, 22), date(2026, 1, 29), date(2026, 2, 5),
                        date(2026, 2, 12)]
    assert len(days) > len(checkins(Profile.STANDARD))
    assert months_after(days[-1]) == pytest.approx(18, abs=0.1)


def test_trafficking_more_contact_than_standard_and_assessments_1_2_3_twice_and_12() -> None:
    # Survivors of trafficking get more contact than the standard profile, never less.
    days = checkins(Profile.TRAFFICKING)
    assert len(days) > len(checkins(Profile.STANDARD))
    assert days == checkins(Profile.VULNERABLE)
    standard = [months_after(d) for d in checkins(Profile.STANDARD)]
    for month in range(1, 13):  # in every month at least as many as the standard profile
        assert (sum(month - 1 < months_after(d) <= month for d in days)
                >= sum(month - 1 < m <= month for m in standard)), month
    # The handbook's assessments, as case-manager sessions.
    sessions = [round(months_after(p.day)) for p in plan(RETURN, Profile.TRAFFICKING)
                if p.kind is Kind.ASSESSMENT]
    assert sessions[:3] == [1, 2, 3]
    assert len([m for m in sessions if 3 < m <= 9]) == 2
    assert sessions[-1] == 12 and len(sessions) == 6
    assert not [p for p in plan(RETURN, Profile.STANDARD) if p.kind is Kind.ASSESSMENT]


def test_a_case_manager_extends_one_persons_follow_up_past_12_months() -> None:
    extended = plan(RETURN, Profile.STANDARD, until_months=18)
    days = [p.day for p in extended if p.kind is Kind.CHECKIN]
    assert months_after(days[-1]) == pytest.approx(18, abs=0.1)
    assert len(days) == len(checkins(Profile.STANDARD)) + 6  # months 13 … 18
    [final] = [p for p in extended if p.kind is Kind.FINAL]
    assert final.offset == "19m"
    assert plan(RETURN, Profile.VULNERABLE, until_months=12) == plan(RETURN, Profile.VULNERABLE)


def test_minor_more_often_than_standard_and_past_closure() -> None:
    days = checkins(Profile.MINOR)
    assert (days[1] - days[0]).days == 7
    assert months_after(days[-1]) > 12


def test_sessions_for_everyone() -> None:
    items = plan(RETURN, Profile.STANDARD)
    by_kind = {k: [months_after(p.day) for p in items if p.kind is k] for k in Kind}
    assert by_kind[Kind.PLAN] == [pytest.approx(1, abs=0.05)]
    assert by_kind[Kind.SURVEY][0] <= 1 and len(by_kind[Kind.SURVEY]) == 5
    assert [round(m) for m in by_kind[Kind.SURVEY][1:]] == [3, 6, 9, 12]
    assert len(by_kind[Kind.WMODEL]) >= 2
    assert round(by_kind[Kind.MIDTERM][0] - by_kind[Kind.PLAN][0]) == 6
    assert round(by_kind[Kind.FINAL][0] - by_kind[Kind.PLAN][0]) == 12


def test_country_override_replaces_a_kind() -> None:
    items = plan(RETURN, "standard", {"standard": {"checkin": ["1w", "2m"]}})
    assert [p.day for p in items if p.kind is Kind.CHECKIN] == [date(2026, 1, 22),
                                                                 date(2026, 3, 15)]


def test_add_months_clamps_the_day() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_due_at_two_in_the_morning_waits_for_allowed_hours() -> None:
    zone = "Asia/Kabul"  # UTC+4:30
    two_am = datetime(2026, 5, 1, 2, 0, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    moved = next_allowed(two_am, zone, 9, 20)
    assert moved.astimezone(ZoneInfo(zone)) == datetime(2026, 5, 1, 9, 0, tzinfo=ZoneInfo(zone))
    late = datetime(2026, 5, 1, 21, 30, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    assert next_allowed(late, zone, 9, 20).astimezone(ZoneInfo(zone)).day == 2
    noon = datetime(2026, 5, 1, 12, 0, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    assert next_allowed(noon, zone, 9, 20) == noon


def test_daylight_saving_keeps_local_time() -> None:
    zone = "Europe/Paris"  # clocks go forward on 2026-03-29
    before = at_local(date(2026, 3, 28), time(10), zone)
    after = at_local(date(2026, 3, 30), time(10), zone)
    assert (before.hour, after.hour) == (9, 8)  # UTC moves, local 10:00 stays
    # 02:30 on the changeover night does not exist locally; the next allowed hour does.
    moment = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 before, then clocks jump
    moved = next_allowed(moment, zone, 9, 20)
    assert moved.astimezone(ZoneInfo(zone)).hour == 9 and moved.hour == 7


def test_schedule_preview_cli(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMECOMING_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "schedule", "preview", "--profile", "trafficking",
         "--return-date", "2026-03-14", "--country", "AF"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "trafficking profile, returned 2026-03-14, Afghanistan (Asia/Kabul)"
    assert "2026-03-21  10:00   1w      checkin" in lines  # weekly at first, as vulnerable
    assert "2026-04-14  10:00   1m      assessment" in lines
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "schedule", "preview", "--profile", "x",
         "--return-date", "2026-02-30"], capture_output=True, text=True, env=env, cwd=tmp_path,
        timeout=60)
    assert bad.returncode == 2 and "--profile must be one of" in bad.stderr
