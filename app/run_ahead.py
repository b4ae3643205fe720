"""Overlapping the stages of a clip: an iterator's items produced on a thread, a few ahead of their consumer.

``for frame in run_ahead(reader, depth=8):`` decodes on a thread while the loop body works on earlier frames;
chained (``run_ahead(render(run_ahead(reader)))``) decode, render and encode each run on their own thread. The
queue between producer and consumer holds at most ``depth`` items, so memory does not grow with the clip's length.
OpenCV, torch and the encoder's pipe release the GIL while they work, so the stages share both cores.

An exception in the producer comes out of the consumer's loop, unchanged; a consumer that stops early (an error,
Ctrl-C, ``break``) stops the producer, which closes its iterator (a ``VideoReader`` releases its file).
"""
from __future__ import annotations

import queue
import threading
from typing import Iterable, Iterator, TypeVar

Item = TypeVar("Item")
_END = object()
_POLL_SECONDS = 0.1  # how often a producer waiting on a full queue checks whether the consumer stopped


def run_ahead(items: Iterable[Item], depth: int) -> Iterator[Item]:
    """The items of ``items`` in order, produced on a daemon thread at most ``depth`` ahead of the consumer."""
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def put(item) -> bool:
        while not stopped.is_set():
            try:
                ready.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                if not put((item, None)):
                    return
            put((_END, None))
        except BaseException as error:  # handed to the consumer, which raises it
            put((_END, error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    producer = threading.Thread(target=produce, name="run-ahead", daemon=True)
    producer.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stopped.set()
        producer.join()
