"""What the staff desk decides, purely: acknowledging, claiming, opening a chat, resolving
(the button and the note after it), ending a chat and relaying a message either way. Each function
gets what was read (the staff member, the escalation or handoff row) and returns the
changes (``changes.py``); it touches no storage, so it is tested without a database.
Telegram and the console both come here; what the staff member is told (``done``,
``lost``, ...) is the caller's, because the console shows it on the page instead.
"""

from __future__ import annotations

from typing import Any

from flows.casework.changes import (
    INTERACTIVE,
    Acknowledge,
    Audit,
    Changes,
    Claim,
    EndChatsOf,
    EndHandoff,
    Guarded,
    KeepHandoffMessage,
    Outbox,
    Resolve,
    Send,
    SetPending,
    StartHandoff,
    staff_audit,
    to_staff,
)
from flows.casework.staff import StaffView, case_number
from flows.engine.events import Msg
from flows.l10n.i18n import N_

BUTTON_ACTIONS = ("ack", "claim", "chat", "resolve")

NOT_ALLOWED = N_("Sorry, that is not allowed.")
COMMANDS = N_("Commands: /queue, /case NUMBER, /endchat.")
SEEN = N_("A person from the reintegration team has seen your message. They will write to "
          "you here soon.")
HELD = N_("Case #{id} is already held by another case manager.")
BUSY = N_("Another case manager is already talking with this person.")
CHAT_STARTED = N_("You are now talking with a person from the reintegration team. The "
                  "automated assistant is paused until they end the chat.")
ENDED = N_("The person from the team has ended the chat. The automated assistant is back; "
           "send /help any time to ask for a person again.")


def _to_person(row: Any, msgid: str) -> Send:
    """A message to the returnee an escalation or a handoff row is about."""
    return Send(row.p_channel, row.p_chat_id, row.locale or "en", (Msg(msgid),),
                participant_id=row.participant_id)


def refused(staff: StaffView, attempt: str) -> Audit:
    return staff_audit(staff, "staff.refused", attempt=attempt)


def acknowledge(staff: StaffView, row: Any, *, done: Changes = (), already: Changes = ()
                ) -> Guarded:
    """open → acknowledged (audited), and the person told someone has seen it."""
    return Guarded(Acknowledge(row.id, staff.id),
                   then=(staff_audit(staff, "escalation.acknowledged", row.pseudonym,
                                     escalation=row.id), _to_person(row, SEEN), *done),
                   otherwise=already)


def claim(staff: StaffView, row: Any, *, won: Changes = (), lost: Changes = ()) -> Guarded:
    """Take the case (audited either way); the person is told when it was still open."""
    seen = (_to_person(row, SEEN),) if row.status == "open" else ()
    return Guarded(Claim(row.id, staff.id),
                   then=(staff_audit(staff, "escalation.claimed", row.pseudonym,
                                     escalation=row.id), *seen, *won),
                   otherwise=(staff_audit(staff, "escalation.claim_lost", row.pseudonym,
                                          escalation=row.id), *lost))


def chat_started(staff: StaffView, row: Any) -> Send:
    """The staff member's own chat learns that it relays now."""
    return to_staff(staff, N_("You are now talking with {person}. What you write here goes "
                              "to them. Send /endchat to finish."), person=row.pseudonym)


def open_chat(staff: StaffView, row: Any, *, held: Changes = (), busy: Changes = (),
              started: Changes = ()) -> Guarded:
    """Claim the case, then start relaying (the person is told). Held: another case
    manager holds the case; busy: another already talks with this person."""
    return Guarded(Claim(row.id, staff.id), otherwise=held, then=(
        Guarded(StartHandoff(row.participant_id, staff.id, row.id), otherwise=busy, then=(
            staff_audit(staff, "handoff.started", row.pseudonym, escalation=row.id),
            _to_person(row, CHAT_STARTED), *started)),))


def resolve(staff: StaffView, row: Any, note: str, *, done: Changes = (),
            not_open: Changes = ()) -> Guarded:
    """Resolve with a note (kept, encrypted), ending the case's chats (the person told)."""
    return Guarded(Resolve(row.id, note), otherwise=not_open, then=(
        EndChatsOf(row.id, _to_person(row, ENDED)),
        staff_audit(staff, "escalation.resolved", row.pseudonym, escalation=row.id), *done))


def button(staff: StaffView, payload: str, row: Any | None) -> Changes:
    """An alert button in Telegram (``esc:ACTION:ID``), ``row`` the escalation it names
    when in the staff member's scope (see ``pressed``)."""
    action, escalation_id = pressed(payload)
    if action not in BUTTON_ACTIONS or escalation_id is None:
        # Not what the bot sends: only the action is kept, never the rest of it.
        return (staff_audit(staff, "staff.refused", attempt="button",
                            button=action if action in BUTTON_ACTIONS else "other"),
                to_staff(staff, NOT_ALLOWED))
    if row is None:
        return refused(staff, f"{action}:{escalation_id}"), to_staff(staff, NOT_ALLOWED)
    ref = {"id": row.id}
    if action == "ack":
        return (acknowledge(staff, row, done=(to_staff(staff, N_(
            "Case #{id} acknowledged. The person has been told that someone has seen it."),
            **ref),), already=(to_staff(staff, N_("Case #{id} was already acknowledged."),
                                        **ref),)),)
    if action == "claim":
        return (claim(staff, row, won=(to_staff(staff, N_("Case #{id} is yours."), **ref),),
                      lost=(to_staff(staff, HELD, **ref),)),)
    if action == "chat":
        return (open_chat(staff, row, held=(to_staff(staff, HELD, **ref),),
                          busy=(to_staff(staff, BUSY),), started=(chat_started(staff, row),)),)
    return (SetPending(staff.id, {"resolve": row.id}),
            staff_audit(staff, "escalation.resolve_started", row.pseudonym, escalation=row.id),
            to_staff(staff, N_("Write a short note on how case #{id} was resolved. It is kept "
                               "with the case."), **ref))


def pressed(payload: str) -> tuple[str, int | None]:
    """The action and case number a button's payload names (either may be nonsense)."""
    _, action, raw_id = [*payload.split(":"), "", ""][:3]
    return action, case_number(raw_id)


def resolution_note(staff: StaffView, escalation_id: int, row: Any | None, note: str
                    ) -> Changes:
    """The text after "Resolve": the note, for the case it asked about (``row``, when still
    in scope). Whatever happens, the staff member's next text is theirs again."""
    cleared = SetPending(staff.id, {})
    if row is None:
        return (cleared, refused(staff, f"resolve:{escalation_id}"),
                to_staff(staff, NOT_ALLOWED))
    if not note.strip():
        return cleared, to_staff(staff, N_("A resolution needs a note."))
    return (cleared, resolve(staff, row, note.strip(),
                             done=(to_staff(staff, N_("Case #{id} resolved."), id=row.id),),
                             not_open=(to_staff(staff, N_("Case #{id} is not open."),
                                                id=row.id),)))


def end_chat(staff: StaffView, handoff: Any | None, *, done: Changes = ()) -> Changes:
    """End this staff member's chat (``handoff``, if they hold one); the person is told."""
    if handoff is None:
        return ()
    return (EndHandoff(handoff.id), staff_audit(staff, "handoff.ended", handoff.pseudonym),
            _to_person(handoff, ENDED), *done)


def relay(staff: StaffView, handoff: Any, text: str) -> Changes:
    """What the case manager wrote goes, as written, to the person in their chat, and into
    the handoff's transcript."""
    return (staff_audit(staff, "handoff.message", handoff.pseudonym),
            Outbox(handoff.p_channel, handoff.p_chat_id,
                   {"text": text, "buttons": [], "locale": handoff.locale or "en"},
                   participant_id=handoff.participant_id),
            KeepHandoffMessage(handoff.id, handoff.participant_id, True, text))


def relay_to_staff(staff: StaffView, person: Any, handoff: Any | None, text: str) -> Changes:
    """What the returnee wrote during a handoff goes to the case manager, after their
    pseudonym, and into the transcript (when the handoff row is there)."""
    sent = Send(staff.channel, staff.chat_id, staff.locale, (f"{person.pseudonym}: {text}",),
                about=person.id)
    if handoff is None:
        return (sent,)
    return sent, KeepHandoffMessage(handoff.id, person.id, False, text)


def copy_to_staff(staff: Any, from_chat_id: str, message_id: str, about: int,
                  priority: int = INTERACTIVE) -> Outbox:
    """A file or voice message copied, as it is, from the returnee's chat to a staff
    member's (``staff``: a ``StaffView`` or a staff row)."""
    return Outbox(staff.channel, staff.chat_id, {"from_chat_id": from_chat_id,
                                                 "message_id": message_id}, kind="copy",
                  about=about, priority=priority)
