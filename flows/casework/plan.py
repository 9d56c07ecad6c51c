"""The reintegration plan as the handbook's Annex 3 lays it out, as plain data: for each
dimension (economic, social, psychosocial) the person's objectives in their own words, the
activities agreed (who does what, by when), the type of assistance and its estimated cost,
whether a referral is needed and the survey's baseline score; and, for the whole plan, an
exit strategy (§2.3.3: when case management ends and how the transition happens) and the
date it was agreed.

Versions are whole: a change makes a new ``Plan`` from the previous one (``with_changes``),
so that every version can be read, shown and exported as it was.

A case manager writes changes as lines (in Telegram after ``/plan R-…``; the console sends
the same lines or builds ``PlanChange`` itself)::

    economic objective: open a tailoring shop in Thiès
    economic activity: find a place to rent | returnee, with the office | 2026-05-31
    economic assistance: microbusiness, vocational_training
    economic cost: 450
    economic referral: yes
    psychosocial activities: none
    exit: case closed after the final monitoring; local NGO support after that
    date: 2026-04-02
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any

from flows.l10n.i18n import N_

DIMENSIONS = ("economic", "social", "psychosocial")

# Annex 3, "type of reintegration assistance to be provided", by dimension; "other" anywhere.
ASSISTANCE: dict[str, tuple[str, ...]] = {
    "immediate": ("cash", "basic_needs", "accommodation", "medical"),
    "economic": ("cash_for_work", "income_generating", "microbusiness", "collective_project",
                 "community_project", "job_placement", "vocational_training"),
    "social": ("housing", "medical_support", "education", "skills_development", "legal",
               "social_protection", "child_care", "security"),
    "psychosocial": ("individual_family", "community_activities"),
}
ASSISTANCE_TYPES = frozenset({t for types in ASSISTANCE.values() for t in types} | {"other"})

MAX_WORDS = 2000  # characters of one objective, activity or strategy


class PlanError(ValueError):
    """A plan line that cannot be read; ``line`` says which, ``hint`` how to write it."""

    def __init__(self, line: str, hint: str, **params: Any) -> None:
        super().__init__(hint)
        self.line = line
        self.hint = hint  # a msgid, translated for the case manager
        self.params = params


@dataclass(frozen=True, slots=True)
class Activity:
    what: str
    who: str = ""
    by: date | None = None


@dataclass(frozen=True, slots=True)
class DimensionPlan:
    objectives: str = ""
    activities: tuple[Activity, ...] = ()
    assistance: tuple[str, ...] = ()
    cost: float | None = None
    referral_needed: bool | None = None
    baseline: float | None = None  # the survey's score for this dimension when planned

    @property
    def empty(self) -> bool:
        return not (self.objectives or self.activities or self.assistance
                    or self.cost is not None or self.referral_needed is not None)


@dataclass(frozen=True, slots=True)
class Plan:
    economic: DimensionPlan = DimensionPlan()
    social: DimensionPlan = DimensionPlan()
    psychosocial: DimensionPlan = DimensionPlan()
    exit_strategy: str = ""
    plan_date: date | None = None
    baseline_composite: float | None = None

    def dimension(self, name: str) -> DimensionPlan:
        value: DimensionPlan = getattr(self, name)
        return value

    def activities(self) -> list[tuple[str, Activity]]:
        """Every activity with its key (``dimension:index``), for asking how it goes."""
        return [(f"{name}:{i}", activity) for name in DIMENSIONS
                for i, activity in enumerate(self.dimension(name).activities)]

    def activity(self, key: str) -> Activity | None:
        return dict(self.activities()).get(key)

    @property
    def total_cost(self) -> float | None:
        costs = [self.dimension(d).cost for d in DIMENSIONS if self.dimension(d).cost]
        return sum(c for c in costs if c is not None) if costs else None

    def with_objectives(self, objectives: dict[str, str]) -> Plan:
        """The person's own words for each dimension they answered."""
        changed = {name: replace(self.dimension(name), objectives=text[:MAX_WORDS])
                   for name, text in objectives.items() if name in DIMENSIONS and text}
        return replace(self, **changed)

    def with_baseline(self, scores: dict[str, float | None]) -> Plan:
        """The survey baseline, where the plan does not have one yet."""
        changed = {name: replace(self.dimension(name), baseline=scores.get(name))
                   for name in DIMENSIONS if self.dimension(name).baseline is None
                   and scores.get(name) is not None}
        composite = self.baseline_composite
        if composite is None:
            composite = scores.get("composite")
        return replace(self, baseline_composite=composite, **changed)

    # Stored as JSON (encrypted), read back as it was.
    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["plan_date"] = self.plan_date.isoformat() if self.plan_date else None
        for name in DIMENSIONS:
            data[name]["activities"] = [
                {"what": a.what, "who": a.who, "by": a.by.isoformat() if a.by else None}
                for a in self.dimension(name).activities]
            data[name]["assistance"] = list(self.dimension(name).assistance)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Plan:
        data = data or {}
        dims = {}
        for name in DIMENSIONS:
            d = data.get(name) or {}
            dims[name] = DimensionPlan(
                objectives=d.get("objectives") or "",
                activities=tuple(Activity(a.get("what", ""), a.get("who", ""),
                                          _date(a.get("by"))) for a in d.get("activities", [])),
                assistance=tuple(d.get("assistance") or ()), cost=d.get("cost"),
                referral_needed=d.get("referral_needed"), baseline=d.get("baseline"))
        return cls(**dims, exit_strategy=data.get("exit_strategy") or "",
                   plan_date=_date(data.get("plan_date")),
                   baseline_composite=data.get("baseline_composite"))


@dataclass(frozen=True, slots=True)
class StoredPlan:
    """The current version of a person's plan, as a flow may read it."""

    version: int
    plan: Plan
    author: str  # participant | staff:S-…
    consent: str | None  # agreed | declined | None
    last_progress: datetime | None = None  # when an activity was last asked about

    @property
    def awaiting_answer(self) -> bool:
        """A version the case manager wrote that the person has not answered yet."""
        return self.consent is None and self.author != "participant"


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


@dataclass(slots=True)
class PlanChange:
    """What one save changes; fields left None stay as they were."""

    objectives: dict[str, str] = field(default_factory=dict)
    add_activities: dict[str, list[Activity]] = field(default_factory=dict)
    clear_activities: set[str] = field(default_factory=set)
    assistance: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cost: dict[str, float | None] = field(default_factory=dict)
    referral_needed: dict[str, bool | None] = field(default_factory=dict)
    exit_strategy: str | None = None
    plan_date: date | None = None

    @property
    def empty(self) -> bool:
        return not (self.objectives or self.add_activities or self.clear_activities
                    or self.assistance or self.cost or self.referral_needed
                    or self.exit_strategy is not None or self.plan_date is not None)

    def apply(self, plan: Plan) -> Plan:
        dims = {}
        for name in DIMENSIONS:
            d = plan.dimension(name)
            activities = () if name in self.clear_activities else d.activities
            dims[name] = replace(
                d, objectives=self.objectives.get(name, d.objectives),
                activities=(*activities, *self.add_activities.get(name, [])),
                assistance=self.assistance.get(name, d.assistance),
                cost=self.cost.get(name, d.cost),
                referral_needed=self.referral_needed.get(name, d.referral_needed))
        return replace(plan, **dims,
                       exit_strategy=(self.exit_strategy if self.exit_strategy is not None
                                      else plan.exit_strategy),
                       plan_date=self.plan_date or plan.plan_date)


YES_WORDS = {"yes": True, "y": True, "oui": True, "no": False, "n": False, "non": False}


def parse_lines(text: str) -> PlanChange:
    """The changes a case manager wrote, one per line; a line that cannot be read raises
    ``PlanError`` naming it, and nothing is changed."""
    change = PlanChange()
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        head, sep, value = line.partition(":")
        value = value.strip()
        words = head.lower().split()
        if not sep or not words:
            raise PlanError(line, N_("Write FIELD: VALUE, e.g. economic objective: …"))
        if words == ["exit"]:
            change.exit_strategy = value[:MAX_WORDS]
            continue
        if words == ["date"]:
            change.plan_date = _parse_date(line, value)
            continue
        if len(words) != 2 or words[0] not in DIMENSIONS:
            raise PlanError(line, N_("Begin with economic, social or psychosocial (or exit:, "
                                     "date:)."))
        dim, what = words
        if what == "objective":
            change.objectives[dim] = value[:MAX_WORDS]
        elif what == "activity":
            parts = [p.strip() for p in value.split("|")]
            if not parts[0] or len(parts) > 3:
                raise PlanError(line, N_("Write activity: WHAT | WHO | BY (YYYY-MM-DD)."))
            by = _parse_date(line, parts[2]) if len(parts) == 3 and parts[2] else None
            change.add_activities.setdefault(dim, []).append(
                Activity(parts[0][:MAX_WORDS], parts[1][:200] if len(parts) > 1 else "", by))
        elif what == "activities" and value.lower() in ("none", "clear", "-"):
            change.clear_activities.add(dim)
        elif what == "assistance":
            types = tuple(t.strip().lower() for t in value.split(",") if t.strip())
            unknown = [t for t in types if t not in ASSISTANCE_TYPES]
            if unknown:
                raise PlanError(line, N_("Assistance types: {types}."),
                                 types=", ".join(sorted(ASSISTANCE_TYPES)))
            change.assistance[dim] = types
        elif what == "cost":
            change.cost[dim] = _parse_cost(line, value)
        elif what == "referral":
            if value.lower() not in YES_WORDS:
                raise PlanError(line, N_("Write referral: yes or referral: no."))
            change.referral_needed[dim] = YES_WORDS[value.lower()]
        else:
            raise PlanError(line, N_("After the dimension: objective, activity, activities: none, "
                                    "assistance, cost or referral."))
    return change


def _parse_date(line: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise PlanError(line, N_("Write the date as YYYY-MM-DD.")) from None


def _parse_cost(line: str, value: str) -> float | None:
    if value in ("", "-", "none"):
        return None
    try:
        cost = float(value.replace(",", ".").replace(" ", ""))
    except ValueError:
        raise PlanError(line, N_("Write the cost as a number, e.g. 450.")) from None
    if cost < 0:
        raise PlanError(line, N_("Write the cost as a number, e.g. 450."))
    return cost
