"""Conversation logic: the flow engine, the flows, and the rules they follow.

Channel-independent: nothing here imports Telegram libraries or writes SQL.
"""
