"""Start-up with the cyclic GC paused: the server still starts and answers, and the GC comes back on."""

from __future__ import annotations

import gc

import pytest

from qovery_job_mcp.cli import startup_objects


def test_startup_objects_pauses_the_gc_then_freezes_and_restores_it() -> None:
    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    try:
        with startup_objects():
            assert not gc.isenabled()
            kept = [[index] for index in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen_before + len(kept)
    finally:
        gc.unfreeze()


def test_a_failed_start_restores_the_gc_and_freezes_nothing() -> None:
    frozen_before = gc.get_freeze_count()
    with pytest.raises(RuntimeError), startup_objects():
        raise RuntimeError("bad start")
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen_before
