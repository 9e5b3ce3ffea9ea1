"""Configuration: defaults, files, environment, validation, context isolation."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading

import pytest

import scicomp
from scicomp.config import SciCompConfig, load_environment, parse_memory


def test_defaults_are_the_documented_ones():
    c = SciCompConfig()
    assert (c.backend, c.use_gpu, c.strict_gpu, c.fft_method) == ("auto", False, False, "scipy")
    assert c.num_threads == os.cpu_count()
    assert c.memory_limit_gb == 16 and c.float_precision == "float64"
    assert c.convergence_tolerance == 1e-8 and c.max_optimization_iterations == 1000
    assert c.optimization_tolerance == 1e-6 and c.default_sampling_rate == 1000.0
    assert c.default_random_seed == 42 and c.monte_carlo_samples == 10000
    assert c.log_level == "INFO" and c.log_file is None
    assert c.plot_backend == "matplotlib" and c.berkeley_theme is True
    assert c.validate() is True


def test_file_round_trip_is_exact(tmp_path):
    c = SciCompConfig(
        backend="numba",
        num_threads=3,
        memory_limit_gb=0.5,
        float_precision="float32",
        convergence_tolerance=1.2345678901234e-9,
        log_file=str(tmp_path / "x.log"),
    )
    path = tmp_path / "cfg.json"
    c.to_file(path)
    assert SciCompConfig.from_file(path) == c


def test_file_with_unknown_keys_names_them(tmp_path):
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"backend": "numpy", "bakend": "x", "threads": 2}))
    with pytest.raises(scicomp.ConfigError, match="'bakend', 'threads'"):
        SciCompConfig.from_file(path)


def test_file_partial_keeps_defaults(tmp_path):
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"fft_method": "numpy"}))
    c = SciCompConfig.from_file(path)
    assert c.fft_method == "numpy" and c.backend == "auto"


@pytest.mark.parametrize("text", ["{not json", "[1, 2]"])
def test_bad_file_is_a_config_error(tmp_path, text):
    path = tmp_path / "cfg.json"
    path.write_text(text)
    with pytest.raises(scicomp.ConfigError, match="cfg.json"):
        SciCompConfig.from_file(path)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(scicomp.ConfigError, match="cannot read"):
        SciCompConfig.from_file(tmp_path / "nope.json")


def test_validate_names_every_bad_field():
    c = SciCompConfig(
        backend="torch",
        fft_method="fftw",
        float_precision="float16",
        num_threads=-1,
        memory_limit_gb=0,
        log_level="LOUD",
        use_gpu="yes",
    )
    with pytest.raises(scicomp.ConfigError) as err:
        c.validate()
    msg = str(err.value)
    for field in ("backend", "fft_method", "float_precision", "num_threads", "memory_limit_gb", "log_level", "use_gpu"):
        assert field in msg
    assert "'numpy'" in msg and "'float64'" in msg  # lists the valid choices


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"backend": "jax"}, "backend"),
        ({"fft_method": "fftw"}, "fft_method"),
        ({"float_precision": "float16"}, "float_precision"),
        ({"num_threads": -2}, "num_threads"),
        ({"num_threads": 0}, "num_threads"),
        ({"memory_limit_gb": -1}, "memory_limit_gb"),
        ({"convergence_tolerance": float("nan")}, "convergence_tolerance"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
def test_failed_set_config_changes_nothing(changes, field):
    before = scicomp.get_config()
    with pytest.raises(scicomp.ConfigError, match=field):
        scicomp.set_config(**{"monte_carlo_samples": 5, **changes})
    assert scicomp.get_config() == before


def test_set_config_and_sources():
    scicomp.set_config(monte_carlo_samples=123)
    assert scicomp.get_config().monte_carlo_samples == 123
    assert scicomp.config_sources()["monte_carlo_samples"] == "set_config"


def test_get_config_returns_a_copy():
    c = scicomp.get_config()
    before = c.backend
    c.backend = "numba" if before != "numba" else "numpy"
    assert scicomp.get_config().backend == before


def test_config_context_restores_on_exception():
    before = scicomp.get_config()
    with pytest.raises(RuntimeError):
        with scicomp.config_context(float_precision="float32", backend="numpy"):
            assert scicomp.get_config().float_precision == "float32"
            assert scicomp.config_sources()["float_precision"] == "config_context"
            raise RuntimeError("boom")
    assert scicomp.get_config() == before


def test_set_config_inside_context_is_undone_on_exit():
    before = scicomp.get_config()
    with scicomp.config_context(backend="numpy"):
        scicomp.set_config(monte_carlo_samples=7)
        assert scicomp.get_config().monte_carlo_samples == 7
    assert scicomp.get_config() == before


def test_config_context_is_thread_local():
    barrier = threading.Barrier(2)
    seen = {}

    def inside():
        with scicomp.config_context(float_precision="float32"):
            barrier.wait()  # the other thread reads while this context is open
            barrier.wait()
            seen["inside"] = scicomp.get_config().float_precision

    def outside():
        barrier.wait()
        seen["outside"] = scicomp.get_config().float_precision
        barrier.wait()

    threads = [threading.Thread(target=inside), threading.Thread(target=outside)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"inside": "float32", "outside": "float64"}


def test_config_context_is_task_local():
    async def task(precision, started, other_started):
        with scicomp.config_context(float_precision=precision):
            started.set()
            await other_started.wait()
            return scicomp.get_config().float_precision

    async def run():
        a, b = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(task("float32", a, b), task("float64", b, a))

    assert asyncio.run(run()) == ["float32", "float64"]


def test_run_with_current_config_carries_context_into_threads():
    from concurrent.futures import ThreadPoolExecutor

    from scicomp.config import run_with_current_config

    with scicomp.config_context(float_precision="float32"), ThreadPoolExecutor(1) as pool:
        plain = pool.submit(lambda: scicomp.get_config().float_precision).result()
        carried = pool.submit(run_with_current_config(lambda: scicomp.get_config().float_precision)).result()
    assert (plain, carried) == ("float64", "float32")


@pytest.mark.parametrize("text, gb", [("64G", 64.0), ("512M", 0.5), ("2T", 2048.0), ("1.5g", 1.5), ("8", 8.0), ("4GiB", 4.0)])
def test_parse_memory(text, gb):
    assert parse_memory(text) == pytest.approx(gb)


def test_environment_in_order(tmp_path):
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"backend": "numba", "num_threads": 5, "monte_carlo_samples": 99}))
    env = {
        "SCICOMP_CONFIG": str(path),
        "SCICOMP_BACKEND": "numpy",  # env overrides the file
        "SCICOMP_USE_GPU": "true",
        "SCICOMP_FFT_METHOD": "numpy",
        "SCICOMP_PRECISION": "float32",
        "SCICOMP_MEMORY_LIMIT": "512M",
        "SCICOMP_LOG_LEVEL": "debug",
    }
    config, sources = load_environment(env)
    assert config.backend == "numpy" and sources["backend"] == "env SCICOMP_BACKEND"
    assert config.num_threads == 5 and sources["num_threads"] == f"file {path}"
    assert config.monte_carlo_samples == 99
    assert config.use_gpu is True and config.fft_method == "numpy" and config.float_precision == "float32"
    assert config.memory_limit_gb == 0.5 and config.log_level == "DEBUG"
    assert sources["strict_gpu"] == "default"


@pytest.mark.parametrize(
    "var, value",
    [
        ("SCICOMP_BACKEND", "torch"),
        ("SCICOMP_USE_GPU", "maybe"),
        ("SCICOMP_FFT_METHOD", "fftw"),
        ("SCICOMP_NUM_THREADS", "-4"),
        ("SCICOMP_PRECISION", "half"),
        ("SCICOMP_MEMORY_LIMIT", "lots"),
        ("SCICOMP_LOG_LEVEL", "LOUD"),
    ],
)
def test_bad_environment_names_the_variable(var, value):
    with pytest.raises(scicomp.ConfigError, match=var):
        load_environment({var: value})


def test_bad_environment_fails_import_with_the_variable():
    env = dict(os.environ, SCICOMP_BACKEND="torch")
    proc = subprocess.run([sys.executable, "-c", "import scicomp"], env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "SCICOMP_BACKEND" in proc.stderr and "numpy" in proc.stderr


def test_environment_applies_at_import():
    env = dict(os.environ, SCICOMP_PRECISION="float32", SCICOMP_NUM_THREADS="1")
    code = "import scicomp; c = scicomp.get_config(); print(c.float_precision, c.num_threads, scicomp.config_sources()['num_threads'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["float32", "1", "env", "SCICOMP_NUM_THREADS"]


def test_mkl_without_mkl_fft_says_how_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mkl_fft" else real(name, *a))
    with pytest.raises(scicomp.ConfigError, match=r'pip install "scicomp\[mkl\]"'):
        scicomp.set_config(fft_method="mkl")
    assert scicomp.get_config().fft_method == "scipy"


def test_logging_touches_only_the_scicomp_logger(tmp_path):
    root_handlers = list(logging.getLogger().handlers)
    logger = logging.getLogger("scicomp")
    assert not any(isinstance(h, logging.FileHandler) for h in logger.handlers)
    log = tmp_path / "scicomp.log"
    scicomp.set_config(log_file=str(log), log_level="DEBUG")
    logging.getLogger("scicomp.test").debug("hello file")
    assert logger.level == logging.DEBUG
    scicomp.set_config(log_file=None, log_level="INFO")
    assert "hello file" in log.read_text()
    assert not any(isinstance(h, logging.FileHandler) for h in logger.handlers)
    assert logging.getLogger().handlers == root_handlers
