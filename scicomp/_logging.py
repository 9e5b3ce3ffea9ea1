"""The ``scicomp`` logger follows ``log_level`` and ``log_file`` from the config.

A library never configures the root logger: only the ``scicomp`` logger's
level and, when ``log_file`` is set, one file handler of its own are managed.
"""

from __future__ import annotations

import logging

from .config import SciCompConfig

logger = logging.getLogger("scicomp")
logger.addHandler(logging.NullHandler())
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_file_handler: logging.FileHandler | None = None


def apply_logging(config: SciCompConfig) -> None:
    """Set the logger level and add, replace or remove the file handler."""
    global _file_handler
    logger.setLevel(config.log_level)
    current = _file_handler.baseFilename if _file_handler is not None else None
    wanted = config.log_file
    if wanted is not None:
        import os

        wanted = os.path.abspath(wanted)
    if current == wanted:
        return
    if _file_handler is not None:
        logger.removeHandler(_file_handler)
        _file_handler.close()
        _file_handler = None
    if wanted is not None:
        _file_handler = logging.FileHandler(wanted, delay=True, encoding="utf-8")
        _file_handler.setFormatter(logging.Formatter(_FORMAT))
        logger.addHandler(_file_handler)
