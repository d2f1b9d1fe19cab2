"""The embedded MongoDB-compatible store: mongomock, shared by every handler in
the process. mongomock's find-and-modify is not atomic across threads (a real
server's is), so every operation here runs under one lock: handlers get the
same atomicity a real MongoDB gives them."""

import threading
from typing import Any

import mongomock
from mongomock.collection import Cursor

_WRAPPED = (mongomock.Database, mongomock.Collection, Cursor)


class _Serialized:
    """Wraps a database, collection or cursor so each call takes the store's lock."""

    def __init__(self, target: Any, lock: threading.RLock) -> None:
        self._target = target
        self._lock = lock

    def __getitem__(self, name: str) -> "_Serialized":
        return _Serialized(self._target[name], self._lock)

    def __iter__(self) -> Any:
        with self._lock:
            return iter(list(self._target))

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if isinstance(attr, _WRAPPED):
            return _Serialized(attr, self._lock)
        if not callable(attr):
            return attr

        def locked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                result = attr(*args, **kwargs)
            return _Serialized(result, self._lock) if isinstance(result, _WRAPPED) else result

        return locked


def embedded_client() -> Any:
    """A client with pymongo's interface, held in memory."""
    return _Serialized(mongomock.MongoClient(tz_aware=True), threading.RLock())
