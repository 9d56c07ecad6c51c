"""A long-running process sets start-up objects aside from garbage collection, once."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import gc
from bot.runtime import GC_THRESHOLD, settle_memory
assert gc.get_freeze_count() == 0
settle_memory()
frozen = gc.get_freeze_count()
assert frozen > 1000, frozen
assert gc.get_threshold()[0] == GC_THRESHOLD
garbage = [[] for _ in range(10)]
for item in garbage:
    item.append(item)  # cycles made after start-up are still collected
del garbage, item
assert gc.collect() >= 10
settle_memory()  # a second call changes nothing
assert gc.get_freeze_count() == frozen
"""


def test_settle_memory_freezes_start_up_objects_once() -> None:
    # In a fresh interpreter: freezing is process-wide and must not touch the test run.
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
