"""What case managers do: escalations and their alerts, the deadline sweep, staff commands
and buttons, the case view, profiles, membership and invites, handoff.
"""
