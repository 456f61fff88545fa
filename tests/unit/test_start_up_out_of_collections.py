"""A service process leaves what it made at start-up out of later garbage
collections, so a full collection walks only what was made since, and
collects its youngest objects less often."""

import gc

from closeloop import heap


def test_what_start_up_made_is_left_out_of_later_collections():
    made_at_start = [{"n": n} for n in range(1000)]
    before = gc.get_threshold()
    try:
        heap.tune_collections()
        assert gc.get_freeze_count() >= len(made_at_start)
        assert all(found is not made_at_start[0] for found in gc.get_objects())
        assert gc.get_threshold() == (heap.YOUNG_OBJECTS, *before[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
