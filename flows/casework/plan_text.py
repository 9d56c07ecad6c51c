"""The plan in words, for the returnee ("My plan", in their language) and for the case
manager (/plan): the labels translated, the person's and the case manager's own words as
they wrote them, dates in the reader's calendar. Pure: it returns a ``Msg`` tree that the
catalogs render for whoever reads it.
"""

from __future__ import annotations

from flows.casework.plan import DIMENSIONS, Activity, DimensionPlan, Plan
from flows.engine.events import Msg
from flows.l10n.dates import long_date
from flows.l10n.i18n import N_

DIMENSION_NAMES = {
    "economic": N_("Economic: work and income"),
    "social": N_("Social: housing, health, documents, education"),
    "psychosocial": N_("Psychosocial: well-being and relationships"),
}

ASSISTANCE_NAMES = {
    "cash": N_("cash assistance"), "basic_needs": N_("basic needs (food, clothes)"),
    "accommodation": N_("accommodation"), "medical": N_("medical care"),
    "cash_for_work": N_("cash for work"),
    "income_generating": N_("an income-generating activity"),
    "microbusiness": N_("a small business of your own"),
    "collective_project": N_("a collective project"),
    "community_project": N_("a community project"), "job_placement": N_("job placement"),
    "vocational_training": N_("vocational training"), "housing": N_("housing support"),
    "medical_support": N_("medical support"), "education": N_("educational support"),
    "skills_development": N_("skills development"), "legal": N_("legal services"),
    "social_protection": N_("social protection schemes"), "child_care": N_("child care"),
    "security": N_("special security measures"),
    "individual_family": N_("individual and family activities"),
    "community_activities": N_("community activities"), "other": N_("other support"),
}


def quoted(words: str) -> str:
    return f"\u201c{words}\u201d"


def _activity(activity: Activity, locale: str, country: str | None) -> Msg | str:
    if activity.by and activity.who:
        return Msg(N_("• {what} ({who}, by {date})"), {
            "what": activity.what, "who": activity.who,
            "date": long_date(activity.by, locale, country)})
    if activity.by:
        return Msg(N_("• {what} (by {date})"), {
            "what": activity.what, "date": long_date(activity.by, locale, country)})
    if activity.who:
        return Msg(N_("• {what} ({who})"), {"what": activity.what, "who": activity.who})
    return f"• {activity.what}"


def _dimension(name: str, d: DimensionPlan, locale: str, country: str | None,
               staff: bool) -> tuple[Msg | str, ...]:
    lines: list[Msg | str] = [Msg(DIMENSION_NAMES[name])]
    if d.objectives:
        lines.append(Msg(N_("Objectives: {words}"), {"words": quoted(d.objectives)}))
    if d.activities:
        lines.append(Msg(N_("What will be done:")))
        lines.extend(_activity(a, locale, country) for a in d.activities)
    if d.assistance:
        lines.append(_support(d.assistance))
    if d.cost is not None:
        lines.append(Msg(N_("Estimated cost: {cost}"), {"cost": f"{d.cost:g}"}))
    if d.referral_needed is not None:
        lines.append(Msg(N_("A referral to another service is needed: {answer}"),
                         {"answer": Msg(N_("yes") if d.referral_needed else N_("no"))}))
    if staff and d.baseline is not None:
        lines.append(Msg(N_("Survey baseline: {score}"), {"score": f"{d.baseline:.2f}"}))
    return tuple(lines)


def _support(types: tuple[str, ...]) -> Msg:
    """The types of support, each translated, one per line under the label."""
    return Msg(N_("Support:\n{types}"), {"types": tuple(
        Msg(N_("– {type}"), {"type": Msg(ASSISTANCE_NAMES.get(t, t))}) for t in types)})


def plan_message(plan: Plan, version: int, locale: str, country: str | None, *,
                 staff: bool = False, author: str = "", consent: str | None = None) -> Msg:
    """The whole plan as one message."""
    parts: list[Msg | str] = []
    if plan.plan_date:
        parts.append(Msg(N_("Your reintegration plan, version {version}, agreed on {date}.")
                         if not staff else N_("Plan version {version}, agreed on {date}."),
                         {"version": version, "date": long_date(plan.plan_date, locale,
                                                                country)}))
    else:
        parts.append(Msg(N_("Your reintegration plan, version {version} (a draft).")
                         if not staff else N_("Plan version {version} (no date agreed yet)."),
                         {"version": version}))
    for name in DIMENSIONS:
        d = plan.dimension(name)
        if not d.empty or (staff and d.baseline is not None):
            parts.append("")
            parts.extend(_dimension(name, d, locale, country, staff))
    if plan.exit_strategy:
        parts.extend(["", Msg(N_("How the support will end: {words}"),
                              {"words": quoted(plan.exit_strategy)})])
    if staff:
        if plan.total_cost is not None:
            parts.append(Msg(N_("Total estimated cost: {cost}"),
                             {"cost": f"{plan.total_cost:g}"}))
        if plan.baseline_composite is not None:
            parts.append(Msg(N_("Composite baseline score: {score}"),
                             {"score": f"{plan.baseline_composite:.2f}"}))
        parts.append(Msg(N_("Written by {author}; the person's answer: {consent}."), {
            "author": author, "consent": Msg(CONSENT_NAMES.get(consent or "", N_("not yet")))}))
    return Msg("{lines}", {"lines": tuple(parts)})


CONSENT_NAMES = {"agreed": N_("agreed"), "declined": N_("would like to talk about it")}
