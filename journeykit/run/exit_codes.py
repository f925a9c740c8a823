"""The exit codes of the ``journeykit`` command, in one place for the CLI and the runner.

Example:
    >>> int(ExitCode.LOCKED), ExitCode(2).name
    (3, 'BAD_INPUT')
"""

from __future__ import annotations

import enum

__all__ = ["ExitCode"]


class ExitCode(enum.IntEnum):
    """``OK`` success (warnings allowed); ``FAILED`` a notebook failed or the run could
    not be written; ``BAD_INPUT`` an invalid workspace or arguments (nothing ran);
    ``LOCKED`` another run holds the output folder's lock; ``INTERRUPTED`` Ctrl-C;
    ``TERMINATED`` SIGTERM (128 + the signal number, as shells report it)."""

    OK = 0
    FAILED = 1
    BAD_INPUT = 2
    LOCKED = 3
    INTERRUPTED = 130
    TERMINATED = 143
