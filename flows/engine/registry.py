"""Every flow by name: the engine's routing table and what `homecoming flows` lists."""

from __future__ import annotations

from flows.conversations.checkin import CheckIn
from flows.conversations.info import Information
from flows.conversations.menu import (
    Language,
    Menu,
    OfferLanguage,
    OfferPerson,
    Pause,
)
from flows.conversations.onboarding import Onboarding
from flows.conversations.plan import MyPlan
from flows.conversations.privacy import Privacy
from flows.conversations.referral import ReferralQuestions
from flows.conversations.safety import Safety
from flows.conversations.survey import Survey
from flows.conversations.wmodel import WModel
from flows.engine.flow import Flow

FLOWS: dict[str, type[Flow]] = {
    flow.name: flow
    for flow in (Onboarding, Menu, Language, OfferLanguage, Privacy, Pause, OfferPerson,
                 CheckIn, Information, WModel, Survey, Safety, MyPlan, ReferralQuestions)
}
