"""The calibration profile behind the size-aware ``'auto'`` backend.

``scicomp calibrate`` measures, per operation family (fft, paths, bfgs,
linalg) and problem size, which available backend is fastest here and writes
the crossover points to a JSON profile in the user's cache directory. With
``backend='auto'`` and a profile present, each call picks its backend by its
size: a family's ``choice`` list is read in order and the first entry whose
``up_to`` is null or at least the call's size wins.

Sizes are element counts: samples for fft, paths x steps for paths, problems
for bfgs, matrix elements for linalg.

GPU backends are candidates only with ``use_gpu`` set, and TensorFlow only
when it runs on a GPU, so 'auto' on a CPU-only machine chooses between numpy
and numba, which both return NumPy arrays.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

__all__ = ["FAMILIES", "profile_path", "load_profile", "reload_profile", "choose", "write_profile"]

FAMILIES = ("fft", "paths", "bfgs", "linalg")
PROFILE_ENV = "SCICOMP_CALIBRATION_FILE"
logger = logging.getLogger("scicomp.backends.profile")

_lock = threading.Lock()
_cached: dict[str, Any] | None = None
_loaded = False


def profile_path() -> Path:
    """``$SCICOMP_CALIBRATION_FILE``, else ``calibration.json`` in the user cache directory."""
    override = os.environ.get(PROFILE_ENV)
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("scicomp", appauthor=False)) / "calibration.json"


def _valid(profile: Any) -> bool:
    if not isinstance(profile, dict) or not isinstance(profile.get("families"), dict):
        return False
    for family in profile["families"].values():
        choice = family.get("choice") if isinstance(family, dict) else None
        if not isinstance(choice, list) or not all(isinstance(c, dict) and "backend" in c and "up_to" in c for c in choice):
            return False
    return True


def load_profile() -> dict[str, Any] | None:
    """The profile, read once per process; None when there is none (or it is unreadable)."""
    global _cached, _loaded
    if _loaded:
        return _cached
    with _lock:
        if not _loaded:
            path = profile_path()
            profile = None
            if path.exists():
                try:
                    profile = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, json.JSONDecodeError) as exc:
                    logger.warning("ignoring unreadable calibration profile %s: %s", path, exc)
                if profile is not None and not _valid(profile):
                    logger.warning("ignoring malformed calibration profile %s (run scicomp calibrate again)", path)
                    profile = None
            _cached, _loaded = profile, True
    return _cached


def reload_profile() -> dict[str, Any] | None:
    """Forget the cached profile and read it again (after calibrate, or in tests)."""
    global _loaded
    with _lock:
        _loaded = False
    return load_profile()


def choose(family: str, size: int, candidates: set[str]) -> str | None:
    """The profile's backend for ``family`` at ``size``, if it is among ``candidates``."""
    profile = load_profile()
    if profile is None:
        return None
    entry = profile["families"].get(family)
    if entry is None:
        return None
    for choice in entry["choice"]:
        if choice["up_to"] is None or size <= choice["up_to"]:
            return choice["backend"] if choice["backend"] in candidates else None
    return None


def write_profile(profile: dict[str, Any], path: Path | None = None) -> Path:
    """Write ``profile`` as JSON (creating the directory); at the default path it becomes active."""
    path = path or profile_path()
    if not _valid(profile):
        raise ValueError("profile: needs 'families' with a 'choice' list of {'up_to', 'backend'} entries")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(profile, indent=2) + "\n", encoding="utf-8")
    reload_profile()
    return path
