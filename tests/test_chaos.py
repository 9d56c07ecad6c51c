"""The short chaos run (``bench/chaos.py --short``): the bot's own process, on SQLite, killed
with ``kill -9``, its database held locked and Telegram answering a 429 storm, while
returnees go through onboarding and distress. Nothing may be lost or alerted twice."""

from __future__ import annotations

import os

import pytest

from bench import chaos


@pytest.mark.skipif(os.name != "posix", reason="kill -9 needs a POSIX system")
async def test_nothing_lost_nor_alerted_twice_under_kill_lock_and_storm() -> None:
    [result] = await chaos.main(["--short"])
    assert result["faults"] == {"storm": 1, "kill": 1, "db": 1}
    assert result["kills"] >= 1
    assert result["updates lost"] == 0
    assert result["replies lost"] == 0
    assert result["alerts lost"] == 0 and result["alerts duplicated"] == 0
    assert result["alerts"] == 2 + 6  # each returnee, then the crowd
    # A crash between a send and its "sent" mark may send that one message twice, no more.
    assert result["replies duplicated"] <= 1
