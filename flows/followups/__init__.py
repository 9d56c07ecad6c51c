"""Follow-up schedules (rules per country and profile), planning them, and delivering
check-ins, reminders, invitations and session notices when they are due.
"""
