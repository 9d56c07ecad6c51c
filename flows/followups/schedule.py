"""Follow-up schedules as pure functions: from a return date and a profile to dated
follow-ups (domain.md §6), and the rules for when a message may be delivered.

- everyone: the reintegration plan within about a month; mid-term monitoring about six
  months after the plan, final monitoring about twelve months after it; the Reintegration
  Sustainability Survey as a baseline within the first month, then every three months to
  month 12; the W model at planning and again during the plan.
- check-ins (ours, per country configurable): standard every two weeks for three months,
  then monthly to month 12; vulnerable weekly in month one, every two weeks to month 3, then
  monthly to month 18; trafficking survivors as vulnerable returnees (never less than the
  standard profile), and the handbook's assessments as case-manager sessions: monthly in
  months 1 to 3, twice between months 3 and 9, once in month 12; minors weekly for three
  months, every two weeks to month 12, and monthly for three months more (monitoring
  continues after closure).
- a case manager can extend one person's follow-up past the profile's end (``until_months``).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Profile(StrEnum):
    STANDARD = "standard"
    VULNERABLE = "vulnerable"
    TRAFFICKING = "trafficking"
    MINOR = "minor"


class Kind(StrEnum):
    CHECKIN = "checkin"
    PLAN = "plan"
    SURVEY = "survey"
    WMODEL = "wmodel"
    MIDTERM = "midterm"
    FINAL = "final"
    ASSESSMENT = "assessment"  # a case manager's assessment session (trafficking survivors)


_OFFSET = re.compile(r"(\d+)([dwm])")


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_offset(text: str) -> tuple[int, str]:
    """"14d", "2w", "3m" → (amount, unit); a clear error for anything else."""
    match = _OFFSET.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r}: use a number and d, w or m, e.g. 14d, 2w, 3m")
    return int(match.group(1)), match.group(2)


def apply_offset(start: date, offset: str) -> date:
    amount, unit = parse_offset(offset)
    if unit == "d":
        return start + timedelta(days=amount)
    if unit == "w":
        return start + timedelta(weeks=amount)
    return add_months(start, amount)


def _every(step: str, until: str, start: str = "") -> list[str]:
    """Offsets from ``start`` (exclusive) every ``step`` up to ``until`` (inclusive), as
    offsets from the return date."""
    amount, unit = parse_offset(step)
    end_amount, end_unit = parse_offset(until)
    first, _ = parse_offset(start) if start else (0, unit)
    offsets = []
    n = first + amount
    limit_days = end_amount * {"d": 1, "w": 7, "m": 30.44}[end_unit]
    while n * {"d": 1, "w": 7, "m": 30.44}[unit] <= limit_days + 0.5:
        offsets.append(f"{n}{unit}")
        n += amount
    return offsets


CHECKINS: dict[Profile, list[str]] = {
    Profile.STANDARD: _every("2w", "12w") + _every("1m", "12m", start="3m"),
    Profile.VULNERABLE: _every("1w", "4w") + _every("2w", "12w", start="4w")
    + _every("1m", "18m", start="3m"),
    # Survivors of trafficking are in a vulnerable situation: never less contact than the
    # standard profile, so at least the vulnerable check-ins (domain.md §6).
    Profile.TRAFFICKING: _every("1w", "4w") + _every("2w", "12w", start="4w")
    + _every("1m", "18m", start="3m"),
    Profile.MINOR: _every("1w", "12w") + _every("2w", "52w", start="12w")
    + _every("1m", "15m", start="12m"),
}
# The handbook's assessments of trafficking survivors, as case-manager sessions: monthly in
# months 1 to 3, twice between months 3 and 9, once in month 12.
SESSIONS: dict[Profile, dict[Kind, list[str]]] = {
    Profile.TRAFFICKING: {Kind.ASSESSMENT: ["1m", "2m", "3m", "5m", "7m", "12m"]},
}
COMMON: dict[Kind, list[str]] = {
    Kind.PLAN: ["30d"],
    Kind.SURVEY: ["14d", "3m", "6m", "9m", "12m"],
    Kind.WMODEL: ["30d", "7m"],
    Kind.MIDTERM: ["7m"],
    Kind.FINAL: ["13m"],
}


@dataclass(frozen=True, slots=True)
class Planned:
    kind: Kind
    seq: int
    day: date
    offset: str


# Once the plan is agreed, monitoring is anchored to the date it actually was (handbook
# §2.3.3): mid-term about six months after it, final about twelve months after the plan
# (our reading of "approximately 12 months after that", consistent with the 7 and 13
# months from return planned before: plan at one month), follow-up to 18 months after it.
MIDTERM_AFTER_PLAN = 6
FINAL_AFTER_PLAN = 12
FOLLOW_UP_AFTER_PLAN = 18


AFTER_PLAN = {Kind.MIDTERM: MIDTERM_AFTER_PLAN, Kind.FINAL: FINAL_AFTER_PLAN}


def monitoring_dates(plan_date: date) -> dict[Kind, date]:
    return {kind: add_months(plan_date, months) for kind, months in AFTER_PLAN.items()}


def _months(offset: str) -> float:
    amount, unit = parse_offset(offset)
    return amount * {"d": 1 / 30.44, "w": 7 / 30.44, "m": 1.0}[unit]


def plan(return_date: date, profile: Profile | str,
         overrides: dict[str, dict[str, list[str]]] | None = None,
         until_months: int | None = None, *,
         plan_date: date | None = None, held: frozenset[str] = frozenset()
         ) -> list[Planned]:
    """Every follow-up for one person, in date order. ``overrides`` (from the country pack)
    replace a kind's offsets for a profile: ``{"standard": {"checkin": ["2w", "1m"]}}``.
    ``until_months`` extends this person's follow-up past the profile's end (a case
    manager's decision): monthly check-ins to that month, final monitoring a month after.

    With ``plan_date`` (the date the plan was actually agreed) the plan session is no longer
    due, mid-term and final monitoring are counted from it, and so is the W model's second
    round (during the plan); sessions already ``held`` are not planned again."""
    profile = Profile(profile)
    kinds: dict[Kind, list[str]] = {Kind.CHECKIN: CHECKINS[profile], **COMMON,
                                    **SESSIONS.get(profile, {})}
    for kind, offsets in (overrides or {}).get(profile.value, {}).items():
        kinds[Kind(kind)] = list(offsets)
    last = max((_months(o) for o in kinds[Kind.CHECKIN]), default=0.0)
    if until_months is not None and until_months > last:
        start = int(last)
        kinds[Kind.CHECKIN] = [*kinds[Kind.CHECKIN],
                               *(f"{m}m" for m in range(start + 1, until_months + 1))]
        final = max((_months(o) for o in kinds[Kind.FINAL]), default=0.0)
        if until_months + 1 > final:
            kinds[Kind.FINAL] = [f"{until_months + 1}m"]
    planned = [Planned(kind, seq, apply_offset(return_date, offset), offset)
               for kind, offsets in kinds.items() for seq, offset in enumerate(offsets)]
    if plan_date is not None:
        anchored = monitoring_dates(plan_date)
        planned = [p for p in planned if p.kind is not Kind.PLAN and p.kind not in anchored]
        planned += [Planned(kind, 0, day, f"plan+{AFTER_PLAN[kind]}m")
                    for kind, day in anchored.items() if kind.value not in held]
        planned = [replace(p, day=add_months(plan_date, MIDTERM_AFTER_PLAN),
                           offset=f"plan+{MIDTERM_AFTER_PLAN}m")
                   if p.kind is Kind.WMODEL and p.seq == 1 else p for p in planned]
    return sorted(planned, key=lambda p: (p.day, p.kind.value, p.seq))


def at_local(day: date, local: time, zone: str) -> datetime:
    """``local`` o'clock on ``day`` in ``zone``, in UTC (daylight saving included)."""
    return datetime.combine(day, local, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def next_allowed(moment: datetime, zone: str, start: int, end: int) -> datetime:
    """``moment`` if it falls within the allowed local hours [start, end), else the next
    start of allowed hours: a message due at 02:00 waits until the morning."""
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz)
    if start <= local.hour < end:
        return moment
    day = local.date() if local.hour < start else local.date() + timedelta(days=1)
    return datetime.combine(day, time(start), tzinfo=tz).astimezone(UTC)
