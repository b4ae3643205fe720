"""``app.run_ahead``: order, bounded look-ahead, errors and early stops."""
import threading
import time

import pytest

from app.run_ahead import run_ahead


def test_items_come_in_order_and_all_of_them():
    assert list(run_ahead(iter(range(100)), depth=3)) == list(range(100))
    assert list(run_ahead([], depth=1)) == []


def test_the_producer_runs_at_most_depth_items_ahead():
    produced = []

    def source():
        for item in range(20):
            produced.append(item)
            yield item

    items = run_ahead(source(), depth=4)
    assert next(items) == 0
    time.sleep(0.5)  # time for the producer to fill the queue
    # 4 queued + the one it holds while waiting for room + the one already consumed
    assert len(produced) <= 6
    assert list(items) == list(range(1, 20))


def test_an_error_in_the_producer_comes_out_of_the_consumer_after_the_items_before_it():
    def source():
        yield 1
        yield 2
        raise ValueError("frame 3 is broken")

    items = run_ahead(source(), depth=2)
    assert next(items) == 1 and next(items) == 2
    with pytest.raises(ValueError, match="frame 3 is broken"):
        next(items)


def test_a_consumer_that_stops_early_closes_the_source():
    closed = threading.Event()

    def source():
        try:
            for item in range(1000):
                yield item
        finally:
            closed.set()

    for item in run_ahead(source(), depth=2):
        if item == 5:
            break
    assert closed.wait(2.0)


def test_depth_must_be_positive():
    with pytest.raises(ValueError, match="depth must be at least 1"):
        list(run_ahead([1], depth=0))
