"""SQLite result store: computed results keyed by operation, parameters, backend and precision.

One file in WAL mode, shared safely by several worker processes (each write
is one short transaction; writers wait on SQLite's busy timeout instead of
failing). The service writes behind the response: a background thread
commits the new rows of each quarter second in one transaction while
lookups see the pending ones; a crash loses at most those pending rows,
which are only a cache. ``:memory:`` gives a private in-memory store for
tests. With a Fernet key every payload is encrypted at rest; a row that fails to decrypt is
reported in the log, deleted and treated as a miss, never served.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import queue
import sqlite3
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ResultStore", "StoreKey", "params_hash", "encode_result", "decode_result"]

logger = logging.getLogger("scicomp.service.store")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    operation   TEXT NOT NULL,
    params_hash TEXT NOT NULL,
    backend     TEXT NOT NULL,
    precision   TEXT NOT NULL,
    created     REAL NOT NULL,
    encrypted   INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    payload     BLOB NOT NULL,
    PRIMARY KEY (operation, params_hash, backend, precision)
)
"""
# Oldest first, with the sizes: eviction reads it instead of the rows (whose payloads fill the pages).
_AGE_INDEX = "CREATE INDEX IF NOT EXISTS results_by_age ON results (created, size)"


@dataclass(frozen=True)
class StoreKey:
    """What identifies a stored result."""

    operation: str
    params_hash: str
    backend: str
    precision: str


def params_hash(params: dict[str, Any]) -> str:
    """SHA-256 of the canonical encoding of ``params``.

    Canonical: dict keys sorted, floats by their shortest round-trip repr, arrays
    by dtype, shape and raw bytes, every item tagged and length-prefixed so no
    two parameter sets share an encoding. The encoding is streamed into the
    hash, so a large array is read once and never copied into a text form.
    """
    digest = hashlib.sha256()
    _feed(digest, params)
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    if isinstance(value, np.ndarray) and not value.dtype.hasobject:
        digest.update(f"A{value.dtype.str}{value.shape}:".encode())
        if value.size:
            digest.update(np.ascontiguousarray(value).data)
    elif isinstance(value, np.generic):  # a NumPy scalar hashes as the Python number it holds
        _feed(digest, value.item())
    elif isinstance(value, dict):
        digest.update(b"D%d:" % len(value))
        for key in sorted(value, key=str):
            _feed(digest, str(key))
            _feed(digest, value[key])
    elif isinstance(value, (list, tuple)):
        digest.update(b"L%d:" % len(value))
        for item in value:
            _feed(digest, item)
    elif isinstance(value, str):
        text = value.encode()
        digest.update(b"S%d:" % len(text))
        digest.update(text)
    elif value is None or isinstance(value, bool):
        digest.update(f"{value}:".encode())
    elif isinstance(value, int):
        digest.update(f"I{int.__repr__(value)}:".encode())
    elif isinstance(value, float):
        digest.update(f"F{float.__repr__(value)}:".encode())  # the shortest repr that round-trips exactly
    else:
        raise TypeError(f"parameter of type {type(value).__name__} cannot be part of a result-store key")


def encode_result(result: dict[str, Any]) -> bytes:
    """Serialise a result (arrays and JSON scalars) without pickle."""
    scalars: dict[str, Any] = {}
    arrays: list[list[Any]] = []
    blobs: list[bytes] = []
    for name, value in result.items():
        if isinstance(value, np.ndarray):
            data = np.ascontiguousarray(value)
            arrays.append([name, data.dtype.str, list(data.shape)])
            blobs.append(data.tobytes())
        else:
            scalars[name] = value
    header = json.dumps({"scalars": scalars, "arrays": arrays}).encode()
    return struct.pack("<I", len(header)) + header + b"".join(blobs)


def decode_result(payload: bytes) -> dict[str, Any]:
    """Inverse of :func:`encode_result`."""
    (length,) = struct.unpack_from("<I", payload)
    header = json.loads(payload[4 : 4 + length])
    result: dict[str, Any] = dict(header["scalars"])
    offset = 4 + length
    for name, dtype, shape in header["arrays"]:
        dt = np.dtype(dtype)
        count = math.prod(shape)
        result[name] = np.frombuffer(payload, dtype=dt, count=count, offset=offset).reshape(shape).copy()
        offset += count * dt.itemsize
    return result


class ResultStore:
    """Results on disk (or in memory), optionally encrypted with a Fernet key."""

    def __init__(
        self,
        path: str,
        encryption_key: bytes | None = None,
        busy_timeout_s: float = 60.0,
        write_behind: bool = False,
        batch_s: float = 0.25,
        max_bytes: int | None = None,
    ):
        self.path = path
        self.max_bytes = max_bytes or None  # past it, the oldest results are deleted (None or 0: no limit)
        self._bytes: int | None = None  # payload bytes in the file as this process last counted them
        self._write_behind = write_behind
        self._batch_s = batch_s
        self._pending: dict[StoreKey, dict[str, Any]] = {}
        self._queue: queue.Queue[StoreKey | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._write_now = threading.Event()
        self._closed = False
        self._fernet = None
        if encryption_key is not None:
            from cryptography.fernet import Fernet

            self._fernet = Fernet(encryption_key)
        if path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
        self._conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(_SCHEMA)
        self._conn.execute(_AGE_INDEX)
        # Lookups get their own connection (WAL lets them read while a batch commits), so a
        # request never waits for the writer; ':memory:' databases cannot be shared that way.
        self._read_lock = self._lock if path == ":memory:" else threading.Lock()
        self._read_conn = self._conn
        if path != ":memory:":
            self._read_conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
            self._read_conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")

    @property
    def encrypted(self) -> bool:
        return self._fernet is not None

    def get(self, key: StoreKey) -> dict[str, Any] | None:
        """The stored result for ``key``, or None (also when the row cannot be decrypted)."""
        pending = self._pending.get(key)
        if pending is not None:
            return pending
        with self._read_lock:
            row = self._read_conn.execute(
                "SELECT encrypted, payload FROM results WHERE operation=? AND params_hash=? AND backend=? AND precision=?",
                (key.operation, key.params_hash, key.backend, key.precision),
            ).fetchone()
        if row is None:
            return None
        encrypted, payload = row
        try:
            if encrypted:
                if self._fernet is None:
                    raise ValueError("the row is encrypted and this server has no encryption key")
                payload = self._fernet.decrypt(bytes(payload))
            elif self._fernet is not None:
                raise ValueError("the row is not encrypted but encryption at rest is on")
            return decode_result(bytes(payload))
        except Exception as exc:  # InvalidToken, a corrupt payload, a key mismatch
            logger.warning(
                "stored result could not be read; recomputing",
                extra={
                    "fields": {
                        "event": "store_error",
                        "operation": key.operation,
                        "params_hash": key.params_hash[:16],
                        "type": type(exc).__name__,
                    }
                },
            )
            self.delete(key)
            return None

    def put(self, key: StoreKey, result: dict[str, Any]) -> None:
        """Store ``result`` for ``key`` (replacing any previous row).

        With ``write_behind`` the row is written by a background thread, which
        gathers rows for ``batch_s`` seconds and commits each batch in one
        transaction; ``get`` answers from the pending rows meanwhile, and past
        ``MAX_PENDING`` rows the caller writes itself. Batching matters on a
        small machine: inserting a 32 KB row costs SQLite ~0.15 ms of CPU, and a
        writer woken for every row competes with the requests for the cores.
        """
        if self._closed:  # a computation that outlived a shutdown (its request already timed out)
            logger.info("store closed: result of %s not stored", key.operation)
            return
        if self._write_behind and len(self._pending) < self.MAX_PENDING:
            if self._writer is None:
                with self._lock:
                    if self._closed:
                        return
                    if self._writer is None:
                        writer = threading.Thread(target=self._drain, name="scicomp-store-writer", daemon=True)
                        writer.start()  # started before it is published, so close() never joins an unstarted thread
                        self._writer = writer
            self._pending[key] = result
            self._queue.put(key)
            return
        self._write([(key, result)])

    MAX_PENDING = 1024
    BATCH_ROWS = 256  # at most this many rows per transaction; a longer queue is written without waiting

    def _row(self, key: StoreKey, result: dict[str, Any]) -> tuple[Any, ...]:
        payload = encode_result(result)
        if self._fernet is not None:
            payload = self._fernet.encrypt(payload)
        encrypted = int(self._fernet is not None)
        return (key.operation, key.params_hash, key.backend, key.precision, time.time(), encrypted, len(payload), payload)

    def _write(self, items: list[tuple[StoreKey, dict[str, Any]]]) -> None:
        rows = [self._row(key, result) for key, result in items]
        with self._lock:
            if len(rows) == 1:
                self._conn.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows[0])
            else:
                self._transaction(
                    lambda: self._conn.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
                )
            if self.max_bytes is not None:
                self._bytes = self._total_bytes() if self._bytes is None else self._bytes + sum(row[6] for row in rows)
                if self._bytes > self.max_bytes:
                    self._evict()

    def _transaction(self, work: Any) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            work()
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _total_bytes(self) -> int:
        return self._conn.execute("SELECT COALESCE(SUM(size), 0) FROM results").fetchone()[0]

    def _evict(self) -> None:
        """Delete the oldest results until the payloads fill at most 90 % of ``max_bytes`` (caller holds the lock).

        The total is recounted first: other worker processes write to the same file.
        The 10 % margin means a store at its limit evicts once per many writes, not on every one.
        """
        total = self._total_bytes()
        target = int(self.max_bytes * 0.9)
        evicted_rows = evicted_bytes = 0
        while total > target:
            oldest = self._conn.execute("SELECT rowid, size FROM results ORDER BY created LIMIT 512").fetchall()
            chosen = []
            for rowid, size in oldest:
                if total <= target:
                    break
                chosen.append((rowid,))
                total -= size
                evicted_bytes += size
            if not chosen:
                break
            self._transaction(lambda chosen=chosen: self._conn.executemany("DELETE FROM results WHERE rowid = ?", chosen))
            evicted_rows += len(chosen)
        self._bytes = self._total_bytes()  # another process may have evicted the same rows
        if evicted_rows:
            logger.info(
                "result store over its size limit: oldest results evicted",
                extra={
                    "fields": {"event": "store_evict", "rows": evicted_rows, "bytes": evicted_bytes, "max_bytes": self.max_bytes}
                },
            )

    def _drain(self) -> None:
        while True:
            key = self._queue.get()
            if key is not None and self._batch_s > 0 and self._queue.qsize() < self.BATCH_ROWS:
                self._write_now.wait(self._batch_s)  # gather a batch (flush() and close() cut it short)
            keys = [key]
            while len(keys) < self.BATCH_ROWS:
                try:
                    keys.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = None in keys
            live = list(dict.fromkeys(k for k in keys if k is not None and k in self._pending))
            if live:
                try:
                    self._write([(k, self._pending[k]) for k in live])
                except Exception as exc:  # a failed write loses a cache entry, never a response
                    logger.warning(
                        "result store write failed", extra={"fields": {"event": "store_error", "type": type(exc).__name__}}
                    )
                finally:
                    for k in live:
                        self._pending.pop(k, None)
            for _ in keys:
                self._queue.task_done()
            if stop:
                return
            if self._queue.empty():  # a flush() is answered once nothing is queued
                self._write_now.clear()

    def flush(self) -> None:
        """Wait until every pending write is on disk."""
        if self._writer is not None:
            self._write_now.set()
            self._queue.join()

    def delete(self, key: StoreKey) -> None:
        with self._lock:
            self._conn.execute(
                "DELETE FROM results WHERE operation=? AND params_hash=? AND backend=? AND precision=?",
                (key.operation, key.params_hash, key.backend, key.precision),
            )

    def stats(self) -> dict[str, Any]:
        """Row counts and payload bytes, overall and per operation."""
        with self._lock:
            total, size, enc = self._conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0), COALESCE(SUM(encrypted), 0) FROM results"
            ).fetchone()
            per_op = self._conn.execute(
                "SELECT operation, COUNT(*), COALESCE(SUM(size), 0) FROM results GROUP BY operation ORDER BY operation"
            ).fetchall()
        file_bytes = None
        if self.path != ":memory:" and Path(self.path).exists():
            file_bytes = sum(
                p.stat().st_size for p in (Path(self.path), Path(self.path + "-wal"), Path(self.path + "-shm")) if p.exists()
            )
        return {
            "path": self.path,
            "rows": total,
            "payload_bytes": size,
            "encrypted_rows": enc,
            "file_bytes": file_bytes,
            "operations": {op: {"rows": n, "payload_bytes": b} for op, n, b in per_op},
        }

    def clear(self) -> int:
        """Delete every row; return how many there were."""
        self.flush()
        with self._lock:
            return self._conn.execute("DELETE FROM results").rowcount

    def vacuum(self) -> None:
        """Checkpoint the WAL and rebuild the file to return freed space."""
        with self._lock:
            if self.path != ":memory:":
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.execute("VACUUM")

    def close(self) -> None:
        """Write what is pending, stop the writer thread and close the database."""
        with self._lock:
            self._closed = True
            writer, self._writer = self._writer, None
        if writer is not None:
            self._queue.put(None)
            self._write_now.set()
            writer.join()
        with self._lock, self._read_lock if self._read_lock is not self._lock else contextlib.nullcontext():
            if self._read_conn is not self._conn:
                self._read_conn.close()
            self._conn.close()
