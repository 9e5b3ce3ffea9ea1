"""The SQLite result store: round trips, encryption at rest, concurrent writer processes, the CLI."""

from __future__ import annotations

import json
import logging
import multiprocessing
import sqlite3
import time

import numpy as np
import pytest
from cryptography.fernet import Fernet

from scicomp.cli import main as cli_main
from scicomp.service.logs import JSONFormatter
from scicomp.service.store import ResultStore, StoreKey, decode_result, encode_result, params_hash

from .conftest import API, auth

H = auth(["admin"])


def test_encode_decode_round_trip():
    result = {
        "x": np.arange(6.0).reshape(2, 3),
        "f32": np.ones(3, np.float32),
        "n": 3,
        "msg": "ok",
        "ci": [1.0, 2.0],
        "none": None,
    }
    back = decode_result(encode_result(result))
    assert set(back) == set(result)
    np.testing.assert_array_equal(back["x"], result["x"])
    assert back["f32"].dtype == np.float32 and back["n"] == 3 and back["msg"] == "ok" and back["ci"] == [1.0, 2.0]


def test_params_hash_is_canonical():
    a = {"signal": np.arange(4.0), "sampling_rate": 1.0, "window": None}
    assert params_hash(a) == params_hash(dict(reversed(list(a.items()))))
    assert params_hash(a) != params_hash(dict(a, sampling_rate=1.0000000000000002))
    assert params_hash(a) != params_hash(dict(a, signal=np.arange(4.0)[::-1].copy()))
    assert params_hash(a) != params_hash(dict(a, signal=np.arange(4.0).reshape(2, 2)))  # shape is part of it
    assert params_hash(a) != params_hash(dict(a, signal=np.arange(4.0, dtype=np.float32)))  # so is dtype
    assert params_hash(a) == params_hash(dict(a, sampling_rate=np.float64(1.0)))  # NumPy scalars hash as Python's
    assert params_hash({"n": np.int64(3)}) == params_hash({"n": 3})
    assert params_hash({"x": np.array(2.0)}) != params_hash({"x": np.array([2.0])})  # 0-D is not 1-D
    assert params_hash({"n": 1}) != params_hash({"n": 1.0}) != params_hash({"n": True}) != params_hash({"n": "1"})
    assert params_hash({"x": ["ab"]}) != params_hash({"x": ["a", "b"]})  # items are length-prefixed
    assert params_hash({"x": [[1], 2]}) != params_hash({"x": [1, [2]]})
    assert len(params_hash(a)) == 64
    with pytest.raises(TypeError, match="set"):
        params_hash({"x": {1, 2}})
    with pytest.raises(TypeError, match="ndarray"):
        params_hash({"x": np.array([object()])})  # object arrays have no stable bytes


def test_write_behind_batches_rows_and_flush_cuts_the_wait(tmp_path):
    path = str(tmp_path / "batch.sqlite3")
    store = ResultStore(path, write_behind=True, batch_s=60.0)
    other = ResultStore(path)  # another worker process's view of the same file
    keys = [StoreKey("op", f"k{i}", "numpy", "float64") for i in range(3)]
    for i, key in enumerate(keys):
        store.put(key, {"v": np.full(4, float(i))})
    assert [store.get(k)["v"][0] for k in keys] == [0.0, 1.0, 2.0]  # pending rows answer at once
    assert other.stats()["rows"] == 0  # still gathering the batch
    t0 = time.monotonic()
    store.flush()
    assert time.monotonic() - t0 < 10  # flush() does not wait out batch_s
    assert other.stats()["rows"] == 3 and other.get(keys[2])["v"][0] == 2.0
    store.put(StoreKey("op", "late", "numpy", "float64"), {"v": np.zeros(2)})
    t0 = time.monotonic()
    store.close()  # writes what is pending, without waiting out batch_s either
    assert time.monotonic() - t0 < 10
    assert other.stats()["rows"] == 4
    other.close()


def test_write_behind_flush_of_many_batches_does_not_wait_per_batch(tmp_path):
    path = str(tmp_path / "many.sqlite3")
    store = ResultStore(path, write_behind=True, batch_s=60.0)
    rows = 3 * ResultStore.BATCH_ROWS + 5
    for i in range(rows):
        store.put(StoreKey("op", f"k{i}", "numpy", "float64"), {"v": np.full(2, float(i))})
    t0 = time.monotonic()
    store.flush()
    assert time.monotonic() - t0 < 10
    assert store.stats()["rows"] == rows
    store.close()


def test_file_store_is_wal_and_survives_reopening(tmp_path):
    path = str(tmp_path / "s.sqlite3")
    key = StoreKey("op", "h" * 64, "numpy", "float64")
    store = ResultStore(path, write_behind=True)
    store.put(key, {"v": np.arange(3.0)})
    assert store.get(key)["v"].tolist() == [0.0, 1.0, 2.0]  # pending rows are visible at once
    store.close()  # flushes the writer
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again = ResultStore(path)
    assert again.get(key)["v"].tolist() == [0.0, 1.0, 2.0]
    assert again.get(StoreKey("op", "h" * 64, "numba", "float64")) is None  # backend is part of the key
    assert again.get(StoreKey("op", "h" * 64, "numpy", "float32")) is None  # so is precision
    again.close()


def test_encryption_at_rest(tmp_path):
    path = str(tmp_path / "enc.sqlite3")
    key = Fernet.generate_key()
    store = ResultStore(path, encryption_key=key)
    k = StoreKey("op", "a" * 64, "numpy", "float64")
    store.put(k, {"secret_field": np.full(4, 1234.5678), "label": "plaintext-label"})
    assert store.get(k)["label"] == "plaintext-label"
    store.close()
    with sqlite3.connect(path) as conn:
        payload, encrypted = conn.execute("SELECT payload, encrypted FROM results").fetchone()
    assert encrypted == 1
    assert b"plaintext-label" not in payload and b"secret_field" not in payload
    assert np.full(4, 1234.5678).tobytes() not in payload


class ListHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def test_row_that_fails_to_decrypt_is_reported_and_recomputed(tmp_path, make_client):
    path = str(tmp_path / "enc.sqlite3")
    body = {"objective": "booth", "x0": [0.0, 0.0]}
    first = make_client(store_path=path, encrypt=True, encryption_key=Fernet.generate_key().decode())
    assert first.post(API + "/optimize/minimize", json=body, headers=H).json()["cached"] is False
    assert first.post(API + "/optimize/minimize", json=body, headers=H).json()["cached"] is True
    first.app.state.service.store.flush()
    other_key = Fernet.generate_key().decode()
    second = make_client(store_path=path, encrypt=True, encryption_key=other_key)
    handler = ListHandler()
    logging.getLogger("scicomp.service.store").addHandler(handler)
    try:
        response = second.post(API + "/optimize/minimize", json=body, headers=H)
    finally:
        logging.getLogger("scicomp.service.store").removeHandler(handler)
    assert response.status_code == 200 and response.json()["cached"] is False  # recomputed, not served
    assert [r.fields["type"] for r in handler.records] == ["InvalidToken"]
    formatted = [JSONFormatter().format(r) for r in handler.records]
    assert all(other_key not in line for line in formatted)
    assert second.post(API + "/optimize/minimize", json=body, headers=H).json()["cached"] is True


def _writer(path: str, worker: int, count: int) -> None:
    store = ResultStore(path, write_behind=worker % 2 == 0)  # both write paths
    for i in range(count):
        store.put(StoreKey("op", f"{worker}-{i}", "numpy", "float64"), {"v": np.full(64, float(i)), "worker": worker})
    store.close()


def test_concurrent_writer_processes_lose_nothing(tmp_path):
    path = str(tmp_path / "shared.sqlite3")
    ResultStore(path).close()
    workers, count = 4, 150
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, count)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * workers
    store = ResultStore(path)
    assert store.stats()["rows"] == workers * count
    for w in range(workers):
        assert store.get(StoreKey("op", f"{w}-{count - 1}", "numpy", "float64"))["v"][0] == count - 1
    store.close()


def test_store_cli(tmp_path, capsys):
    path = str(tmp_path / "cli.sqlite3")
    store = ResultStore(path)
    for i in range(3):
        store.put(StoreKey("signal.fft", str(i), "numpy", "float64"), {"v": np.zeros(10)})
    store.put(StoreKey("linalg.solve", "x", "numpy", "float64"), {"v": np.zeros(10)})
    store.close()
    assert cli_main(["store", "stats", "--store", path, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["rows"] == 4 and stats["operations"]["signal.fft"]["rows"] == 3
    assert cli_main(["store", "stats", "--store", path]) == 0
    assert "4 results" in capsys.readouterr().out
    assert cli_main(["store", "clear", "--store", path]) == 0
    assert "cleared 4" in capsys.readouterr().out
    assert cli_main(["store", "vacuum", "--store", path]) == 0
    assert ResultStore(path).stats()["rows"] == 0


def test_memory_store_is_private_and_empty():
    store = ResultStore(":memory:")
    assert store.stats() == {
        "path": ":memory:", "rows": 0, "payload_bytes": 0, "encrypted_rows": 0, "file_bytes": None, "operations": {},
    }  # fmt: skip
    with pytest.raises(ValueError):  # cryptography: "Fernet key must be 32 url-safe base64-encoded bytes"
        ResultStore(":memory:", encryption_key=b"not a key")


@pytest.mark.parametrize("write_behind", [False, True], ids=["direct", "write-behind"])
def test_store_over_its_size_limit_evicts_the_oldest_results(tmp_path, write_behind):
    path = str(tmp_path / "capped.sqlite3")
    row_bytes = len(encode_result({"v": np.zeros(1000)}))
    store = ResultStore(path, write_behind=write_behind, batch_s=0.01, max_bytes=20 * row_bytes)
    keys = [StoreKey("op", f"k{i:03d}", "numpy", "float64") for i in range(60)]
    for i, key in enumerate(keys):
        store.put(key, {"v": np.full(1000, float(i))})
        if write_behind and i % 10 == 9:
            store.flush()  # batches of ten, each one transaction
    store.flush()
    stats = store.stats()
    assert stats["payload_bytes"] <= 20 * row_bytes
    assert stats["rows"] >= 10  # evicted down to 90 % at most, not emptied
    assert store.get(keys[-1])["v"][0] == 59.0  # the newest stay
    assert store.get(keys[0]) is None  # the oldest went
    store.close()


def test_store_without_a_limit_keeps_everything(tmp_path):
    store = ResultStore(str(tmp_path / "unbounded.sqlite3"), max_bytes=0)
    for i in range(30):
        store.put(StoreKey("op", str(i), "numpy", "float64"), {"v": np.zeros(1000)})
    assert store.stats()["rows"] == 30
    store.close()


def test_service_store_limit_comes_from_settings(make_client):
    client = make_client(store_max_mb=0.5)
    assert client.app.state.service.store.max_bytes == 512 * 1024
    assert make_client(store_max_mb=0).app.state.service.store.max_bytes is None
