"""Identifiers and the patterns they must match."""

from __future__ import annotations

import random
import re
import string
import uuid
from datetime import UTC, datetime
from typing import NewType

JobId = NewType("JobId", str)
RunId = NewType("RunId", str)
ScheduleId = NewType("ScheduleId", str)

# The seed's job-id pattern, `^([a-z0-9]([a-z0-9-]*[a-z0-9]+)*)([.]...)*$`, nests quantifiers
# and backtracks exponentially on a long near-miss. This one accepts the same language (dotted
# segments of lowercase letters, digits and inner hyphens) in linear time.
_SEGMENT = r"[a-z0-9]+(?:-+[a-z0-9]+)*"
JOB_ID_PATTERN = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT})*")
# Schedules created on /v1/jobs/{id}/schedules: at least two characters, no dots (seed).
SCHEDULE_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9\-]*[a-z0-9]")

MAX_ID_LENGTH = 255
"""Ids become store keys and ZooKeeper node names; a bound keeps them usable."""


def is_job_id(value: str) -> bool:
    """Whether `value` is a valid job id."""
    return len(value) <= MAX_ID_LENGTH and JOB_ID_PATTERN.fullmatch(value) is not None


def is_schedule_id(value: str) -> bool:
    """Whether `value` is a valid id for a schedule created on its own endpoint."""
    return len(value) <= MAX_ID_LENGTH and SCHEDULE_ID_PATTERN.fullmatch(value) is not None


_RUN_SUFFIX_ALPHABET = string.ascii_letters + string.digits


def new_run_id(now: datetime, rng: random.Random | None = None) -> RunId:
    """`yyyyMMddHHmmss` of `now` (UTC) and five random alphanumerics, as Metronome makes them."""
    suffix = "".join((rng or _RNG).choices(_RUN_SUFFIX_ALPHABET, k=5))
    return RunId(now.astimezone(UTC).strftime("%Y%m%d%H%M%S") + suffix)


def new_task_id(job_id: JobId, run_id: RunId) -> str:
    """A task id that names its job and run (Marathon's form: dots become underscores)."""
    unique = uuid.UUID(int=_RNG.getrandbits(128), version=4)
    return f"{job_id.replace('.', '_')}_{run_id}.{unique}"


_RNG = random.Random()
"""Seeded from the OS once. `SystemRandom` and `uuid4` make a system call per use, which lets
other threads take the GIL: 6 of them in each run's start made 1,000 fires at one instant late
(docs/benchmarks.md)."""
