"""Names a case manager reads: distress categories, support suggestions, sessions,
referrals' states.
"""

from __future__ import annotations

from flows.l10n.i18n import N_

CATEGORY_NAMES: dict[str, str] = {
    "suicide": N_("suicide risk"), "self_harm": N_("self-harm"),
    "harm_to_others": N_("risk of harming others"), "confusion": N_("severe confusion"),
    "psychiatric": N_("psychiatric condition or care"), "medication": N_("out of medication"),
    "sexual_violence": N_("sexual violence"), "violence": N_("violence or torture"),
    "trafficking": N_("trafficking or exploitation"), "drugs": N_("drug use"),
    "medical_emergency": N_("medical emergency"), "gbv": N_("gender-based violence"),
    "safety_threat": N_("threat to safety"), "child_at_risk": N_("child at risk"),
    "isolation": N_("withdrawal or isolation"), "grief": N_("grief"),
    "trauma": N_("trauma or detention"), "severe_distress": N_("severe distress"),
    "alcohol": N_("alcohol use"), "emotional": N_("emotional difficulty"),
    "support_request": N_("asks for support"), "asked_for_person": N_("asked for a person"),
    "media": N_("voice message or file"), "low_mood": N_("very low mood twice in a row"),
    "lost_contact": N_("lost contact: check-ins missed"),
    "survey": N_("survey answers that need a person"), "food_cut": N_("cuts food very often"),
    "unsafe": N_("feels unsafe most or all of the time"),
    "family_conflict": N_("frequent family conflict"),
    "discrimination": N_("frequent discrimination"),
    "distress_signs": N_("distress signs very often"),
    "wants_psych_support": N_("wishes psychological support"),
    "must_leave": N_("unable to stay: needs to leave"),
    "survey_low_score": N_("survey score below 0.33"),
    "checkin_needs": N_("needs named in a check-in"),
    "farewell": N_("farewell or giving things away (asked directly)"),
    "need_housing": N_("needs help: housing"), "need_work": N_("needs help: work"),
    "need_health": N_("needs help: health"), "need_documents": N_("needs help: documents"),
    "need_family": N_("needs help: family"), "need_money": N_("needs help: money"),
    "need_safety": N_("needs help: safety"),
}


SUGGESTIONS: dict[str, str] = {
    "intensified": N_("intensified"), "regular": N_("regular"), "light": N_("light"),
    "unknown": N_("unknown"),
}


SESSION_NAMES: dict[str, str] = {
    "plan": N_("reintegration plan"), "survey": N_("Reintegration Sustainability Survey"),
    "wmodel": N_("W model session"), "midterm": N_("mid-term monitoring"),
    "final": N_("final monitoring"), "other": N_("other session"),
    "assessment": N_("case-manager assessment"),
}



# What a referral is for (the information topics, and the handbook's §2.3.2 components).
SERVICE_NAMES: dict[str, str] = {
    "assistance": N_("reintegration assistance"), "housing": N_("housing"),
    "documents": N_("documents"), "health": N_("health care"),
    "mental_health": N_("psychological support"), "work": N_("work"),
    "training": N_("training"), "education": N_("education"), "money": N_("money and debt"),
    "family": N_("family support"), "legal": N_("legal help"), "safety": N_("safety"),
    "feelings": N_("support with how you feel"),
}

# What may be shared with a provider, each named to the person before they agree.
SHARED_NAMES: dict[str, str] = {
    "need": N_("what you need help with"), "language": N_("the language you speak"),
    "return_date": N_("the date you came back"), "age_sex": N_("your age and sex"),
    "plan": N_("the objectives of your plan for this"),
    "vulnerability": N_("that you need extra care"),
}

# A referral's state, as /case and the console's case page name it.
REFERRAL_STATUS_NAMES: dict[str, str] = {
    "proposed": N_("waiting for their consent"), "declined": N_("declined"),
    "made": N_("made"), "reached": N_("reached"), "not_reached": N_("not reached")}
