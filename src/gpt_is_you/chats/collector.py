"""Pausing Python's cyclic garbage collector while a large chat is turned into objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while hundreds of thousands of objects are
    made, then file them with the long-lived objects.

    Messages and turns are tuples of strings, numbers and datetimes: they can never be
    part of a cycle. Left to the collector, each would be walked as young, and the
    large lists being built again and again as the heap grows: for a 500,000-message
    export that is seconds of work finding nothing. Freezing and at once unfreezing
    moves everything tracked straight into the oldest generation, where the collector
    looks seldom.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if was_enabled:
            gc.enable()
