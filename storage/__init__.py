"""Persistence: SQLAlchemy models, repositories, migrations and queue claims.

Nothing here knows about flows, bots or Telegram: `bot` → `flows` → `storage`.
"""
