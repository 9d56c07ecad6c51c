"""One file per conversation a returnee meets: onboarding, the menu and its side trips,
information, check-in, W model, survey, and the safety flow after a distress signal.
"""
