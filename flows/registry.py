"""Every flow by name: the engine's routing table and what `homecoming flows` lists."""

from __future__ import annotations

from flows.checkin import CheckIn
from flows.flow import Flow
from flows.info import Information
from flows.menu import Language, Menu, OfferPerson, Pause, Privacy
from flows.onboarding import Onboarding
from flows.safety import Safety
from flows.survey import Survey
from flows.wmodel import WModel

FLOWS: dict[str, type[Flow]] = {
    flow.name: flow
    for flow in (Onboarding, Menu, Language, Privacy, Pause, OfferPerson, CheckIn, Information,
                 WModel, Survey, Safety)
}
