"""MongoDB round trips, counted: the round-trip tests and the benchmarks install a
`CountingDatabase` behind a `SingleDatabaseClient` and read its `calls`."""

import time
from collections import Counter
from typing import Any

# Every collection method that is a request to the server (a cursor's further batches aside).
OPERATIONS = frozenset(
    {
        "find",
        "find_one",
        "find_one_and_update",
        "find_one_and_replace",
        "find_one_and_delete",
        "insert_one",
        "insert_many",
        "update_one",
        "update_many",
        "replace_one",
        "delete_one",
        "delete_many",
        "bulk_write",
        "aggregate",
        "distinct",
        "count_documents",
        "estimated_document_count",
    }
)


class SingleDatabaseClient:
    """Indexing a client by name gives back the one database."""

    def __init__(self, db: Any) -> None:
        self._db = db

    def __getitem__(self, name: str) -> Any:
        return self._db


class CountingDatabase:
    """Counts each operation sent to the database in `calls`, as "collection.operation" (one
    operation, one round trip); with `wait_s`, each also waits that long, as a network round
    trip does."""

    def __init__(self, db: Any, *, wait_s: float = 0.0) -> None:
        self._db, self._wait_s = db, wait_s
        self.calls: Counter[str] = Counter()

    def __getitem__(self, name: str) -> "CountingCollection":
        return CountingCollection(self._db[name], name, self.calls, self._wait_s)


class CountingCollection:
    def __init__(self, collection: Any, name: str, calls: Counter[str], wait_s: float) -> None:
        self._collection, self._name, self._calls, self._wait_s = collection, name, calls, wait_s

    def __getattr__(self, attr: str) -> Any:
        target = getattr(self._collection, attr)
        if attr not in OPERATIONS:
            return target

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._calls[f"{self._name}.{attr}"] += 1
            if self._wait_s:
                time.sleep(self._wait_s)
            return target(*args, **kwargs)

        return counted
