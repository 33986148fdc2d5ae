"""Per-object locks that survive ``os.fork``.

Every streaming object serialises calls on its one state with a lock.  A child made
by ``fork`` while another thread of the parent was inside such a call inherits the
lock *held*, by a thread that does not exist in the child: its first call would wait
forever.  ``os.register_at_fork`` gives every live :class:`StreamLock` a fresh, free
lock in the child.  The object's state is still what the parent's thread left, which
may be the middle of a call: the child should ``reset()`` a stream it inherited mid-call
(the stock advice for anything shared across ``fork``).
"""
from __future__ import annotations

import os
import threading
import weakref

_live: "weakref.WeakSet[StreamLock]" = weakref.WeakSet()


class StreamLock:
    """A non-reentrant lock (``with lock:``) that is free again in a forked child.

    A per-packet hot path may enter ``lock._lock`` (the current ``threading.Lock``, read
    at each call) directly: the same lock, without two Python-level calls per packet."""

    __slots__ = ("_lock", "__weakref__")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        _live.add(self)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def __enter__(self) -> "StreamLock":
        self._lock.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()


def _renew_in_child() -> None:
    # Only this thread exists in the child, so nothing can race the swap.
    for lock in list(_live):
        lock._lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_renew_in_child)
