import gc

from ui.gc_guard import MainThreadGC


def test_guard_disables_automatic_collection_and_collects_when_due(qapp):
    was_enabled = gc.isenabled()
    guard = MainThreadGC(qapp, interval_ms=10)
    try:
        assert not gc.isenabled()

        class Cycle:
            pass

        for _ in range(guard.thresholds[0] + 10):  # push generation 0 past its threshold with cyclic garbage
            a, b = Cycle(), Cycle()
            a.other, b.other = b, a
        assert guard.collect_if_due() > 0
    finally:
        guard.stop()
    assert gc.isenabled()
    if not was_enabled:
        gc.disable()
