"""A web process leaves what it made at start-up out of later garbage
collections, so a full collection walks only what requests made since."""

import gc

from closeloop import heap


def test_what_start_up_made_is_left_out_of_later_collections():
    made_at_start = [{"n": n} for n in range(1000)]
    try:
        heap.leave_start_up_out_of_collections()
        assert gc.get_freeze_count() >= len(made_at_start)
        assert all(found is not made_at_start[0] for found in gc.get_objects())
    finally:
        gc.unfreeze()
