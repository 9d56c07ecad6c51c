"""Telegram: two adapters (aiogram, python-telegram-bot) behind one interface."""
