"""The one storage interface casework uses (``flows/casework`` imports nothing else from
``storage``; ``tests/test_layers.py`` holds it).

Casework used to reach into four statement modules (``casework``, ``casefile``,
``console``, ``repository``) and two more for the case view, reading and writing as it
went. This module names, in one place, every read it needs and every write it does, so a
reader sees the whole surface at once and a change of table touches one list. The
statements themselves stay where they are: these are the same functions, not copies.

Writes are marked. The conditional ones (``acknowledge``, ``claim``, ``resolve``,
``start_handoff``) say whether they held: several case managers may press the same button
at once, and exactly one wins in the database, not in Python. Casework's decisions name
them as changes (``flows/casework/changes.py``) and one applier runs them
(``CaseworkBase.apply``).
"""

from __future__ import annotations

from storage import casefile, casework, console, followups, repository, research
from storage.console import QueueFilter
from storage.db import Connection
from storage.models import OPEN_STATUSES
from storage.repository import INTERACTIVE, SCHEDULED, URGENT, ParticipantRecord

__all__ = [
           "INTERACTIVE",
           "OPEN_STATUSES",
           "SCHEDULED",
           "URGENT",
           "Connection",
           "ParticipantRecord",
           "QueueFilter",
]

ROLES = casework.ROLES

# Returnees -------------------------------------------------------------------------------
participant_by_id = casework.participant_by_id
participant_by_pseudonym = casework.participant_by_pseudonym
load_participant = repository.load_participant
save_participant = repository.save_participant  # write
delete_participant = repository.delete_participant  # write
record_consent = repository.record_consent  # write
overdue = repository.overdue
recent_checkins = followups.recent_checkins
completed_surveys = research.completed

# Escalations and their signals -------------------------------------------------------------
get_escalation = casework.get_escalation
escalations_of = casework.escalations_of
find_open = casework.find_open
open_escalation_of = casework.open_escalation_of
screenings_of = casework.screenings_of
signals_of = casework.signals_of
recipients = casework.recipients
queue = casework.queue
open_escalation = casework.open_escalation  # write
open_screening = casework.open_screening  # write
raise_escalation = casework.raise_escalation  # write
add_signal = casework.add_signal  # write
move_signals = casework.move_signals  # write
end_screening = casework.end_screening  # write
acknowledge = casework.acknowledge  # conditional write: False when it was not open
claim = casework.claim  # conditional write: False when another case manager holds it
resolve = casework.resolve  # conditional write: False when it was not open
claim_due_alerts = casework.claim_due_alerts  # write: taken once across workers
claim_due_screenings = casework.claim_due_screenings  # write: taken once across workers
schedule_next_alert = casework.schedule_next_alert  # write

# Staff, invites and sign-in ----------------------------------------------------------------
staff_by_id = casework.staff_by_id
load_staff = casework.load_staff
refused_joins = casework.refused_joins
staff_by_pseudonym = console.staff_by_pseudonym  # any, active or not
active_staff_by_pseudonym = casefile.staff_by_pseudonym  # active only, any letter case
staff_list = console.staff_list
set_pending = casework.set_pending  # write
set_staff = console.set_staff  # write
set_staff_gender = casefile.set_staff_gender  # write
create_invite = casework.create_invite  # write
redeem_invite = casework.redeem_invite  # write
live_session = console.live_session
login_tokens_since = console.login_tokens_since
create_login_token = console.create_login_token  # write
redeem_login_token = console.redeem_login_token  # write
create_session = console.create_session  # write
end_session = console.end_session  # write
end_sessions_of = console.end_sessions_of  # write

# Handoff -------------------------------------------------------------------------------------
active_handoff_of_staff = casework.active_handoff_of_staff
active_handoff_of_person = console.active_handoff_of_person
handoffs_of = console.handoffs_of
handoff_messages = console.handoff_messages
start_handoff = casework.start_handoff  # conditional write: False when someone else holds one
end_handoff = casework.end_handoff  # write
end_handoffs_of_escalation = casework.end_handoffs_of_escalation  # write: returns those ended
add_handoff_message = console.add_handoff_message  # write

# The case file: assignment, sessions, the plan, referrals ----------------------------------
case_file = casefile.case_file
current_assignment = casefile.current_assignment
assignment_history = casefile.assignment_history
caseload = casefile.caseload
caseload_counts = casefile.caseload_counts
sessions_of = casefile.sessions_of
plan_date = casefile.plan_date
current_plan = casefile.current_plan
plan_versions = casefile.plan_versions
progress_of = casefile.progress_of
providers = casefile.providers
referral = casefile.referral
referrals_of = casefile.referrals_of
unmet_of = casefile.unmet_of
set_case_file = casefile.set_case_file  # write
assign = casefile.assign  # write
add_session = casefile.add_session  # write
add_plan_version = casefile.add_plan_version  # write: returns the version number
set_plan_consent = casefile.set_plan_consent  # write
add_progress = casefile.add_progress  # write
add_question = casefile.add_question  # write
answer_question = casefile.answer_question  # write
cancel_questions = casefile.cancel_questions  # write
add_provider = casefile.add_provider  # write
add_referral = casefile.add_referral  # write
update_referral = casefile.update_referral  # write
add_unmet = casefile.add_unmet  # write

# The console's queue, case page and supervision (reads, but for the note) ------------------
queue_page = console.queue_page
queue_count = console.queue_count
queue_signature = console.queue_signature
open_categories = console.open_categories
signals_of_many = console.signals_of_many
case_escalations = console.case_escalations
case_notes = console.case_notes
consents_of = console.consents_of
followups_of = console.followups_of
add_case_note = console.add_case_note  # write
acknowledgements = console.acknowledgements
alerts_since = console.alerts_since
audit_page = console.audit_page
breaches = console.breaches
followup_counts = console.followup_counts
holders = console.holders
open_by_tier = console.open_by_tier

# What every change ends in: the outbox and the audit log (writes) --------------------------
add_outbox = repository.add_outbox  # write
audit = repository.audit  # write
