"""Fixtures for the storage tests: real stores (SQLite in a temporary data dir, ZooKeeper under a
fresh root in the session's server), and model generators."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from metronome.model import (
    Artifact,
    ConcurrencyPolicy,
    Constraint,
    ConstraintOperator,
    Docker,
    DockerParameter,
    EndKind,
    JobHistory,
    JobId,
    JobRun,
    JobSpec,
    Restart,
    RestartPolicy,
    RunDetails,
    RunEnd,
    RunId,
    RunInfo,
    RunSpec,
    RunStatus,
    ScheduleId,
    ScheduleSpec,
    Task,
    TaskStatus,
    Volume,
    VolumeMode,
)
from metronome.storage import SqliteStore, Store, ZkStore

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.support.zookeeper import ZkServer


@pytest.fixture(params=["sqlite", "zookeeper"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each store in turn, for the tests of the `Store` contract and of what builds on it."""
    if request.param == "sqlite":
        store: Store = SqliteStore(tmp_path / "data")
    else:  # the server starts only when a test needs it
        server = request.getfixturevalue("zookeeper")
        store = ZkStore(server.hosts, request.getfixturevalue("zk_root"))
    yield store
    store.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "data")
    yield store
    store.close()


@pytest.fixture
def zk_store(zookeeper: ZkServer, zk_root: str) -> Iterator[ZkStore]:
    store = ZkStore(zookeeper.hosts, zk_root)
    yield store
    store.close()


class ModelGen:
    """Random model objects; times have millisecond precision, as the records keep them."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def text(self, *, empty: bool = True) -> str:
        alphabet = string.ascii_letters + string.digits + " -_./é✓"
        return "".join(self.rng.choices(alphabet, k=self.rng.randint(0 if empty else 1, 12)))

    def maybe(self, make: Callable[[], object]) -> object:
        return make() if self.rng.random() < 0.5 else None

    def moment(self) -> datetime:
        epoch_ms = self.rng.randint(0, 4_102_444_800_000)  # up to 2100
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=epoch_ms)

    def pairs(self) -> dict[str, str]:
        return {self.text(): self.text() for _ in range(self.rng.randint(0, 4))}

    def few(self, make: Callable[[], object]) -> tuple:
        return tuple(make() for _ in range(self.rng.randint(0, 3)))

    def run_spec(self) -> RunSpec:
        r = self.rng
        return RunSpec(
            cpus=r.choice([0.01, 0.5, 1.0, r.random() * 64]),
            mem=r.choice([32.0, 128.0, r.random() * 1e6]),
            disk=r.choice([0.0, r.random() * 1e6]),
            cmd=self.maybe(self.text),
            args=r.choice([None, (), self.few(self.text), ("",)]),
            user=self.maybe(self.text),
            env=self.pairs(),
            constraints=self.few(
                lambda: Constraint(
                    self.text(), r.choice(list(ConstraintOperator)), self.maybe(self.text)
                )
            ),
            artifacts=self.few(
                lambda: Artifact(self.text(), r.random() < 0.5, r.random() < 0.5, r.random() < 0.5)
            ),
            max_launch_delay_s=r.randint(1, 2**40),
            docker=self.maybe(
                lambda: Docker(
                    self.text(),
                    r.random() < 0.5,
                    r.random() < 0.5,
                    self.few(lambda: DockerParameter(self.text(), self.text())),
                )
            ),
            volumes=self.few(lambda: Volume(self.text(), self.text(), r.choice(list(VolumeMode)))),
            restart=Restart(r.choice(list(RestartPolicy)), self.maybe(lambda: r.randint(0, 10**6))),
            task_kill_grace_period_s=r.choice([None, 0.0, r.random() * 100]),
        )

    def schedule(self) -> ScheduleSpec:
        r = self.rng
        return ScheduleSpec(
            id=ScheduleId(self.text(empty=False)),
            cron=self.text(),
            timezone=r.choice(["UTC", "Europe/Paris", "America/Chicago"]),
            starting_deadline_s=r.randint(0, 10**7),
            concurrency_policy=r.choice(list(ConcurrencyPolicy)),
            enabled=r.random() < 0.5,
        )

    def spec(self, job_id: str | None = None) -> JobSpec:
        return JobSpec(
            id=JobId(job_id or f"job{self.rng.randint(0, 10**9)}.x-y"),
            run=self.run_spec(),
            description=self.rng.choice([None, "", self.text()]),
            labels=self.pairs(),
            schedules=self.few(self.schedule),
        )

    def task(self) -> Task:
        return Task(
            id=self.text(empty=False),
            status=self.rng.choice(list(TaskStatus)),
            started_at=self.moment(),
            completed_at=self.maybe(self.moment),
            message=self.maybe(self.text),
            exit_code=self.maybe(lambda: self.rng.randint(-(2**31), 2**31 - 1)),
            ended_at=self.maybe(self.moment),
        )

    def end(self) -> RunEnd:
        r = self.rng
        return RunEnd(
            kind=r.choice(list(EndKind)),
            exit_code=self.maybe(lambda: r.randint(0, 255)),
            signal=self.maybe(lambda: r.randint(1, 64)),
            message=self.maybe(self.text),
            by=self.maybe(self.text),
        )

    def run(self, job_id: str = "job.a", run_id: str | None = None) -> JobRun:
        r = self.rng
        return JobRun(
            id=RunId(run_id or f"2016{r.randint(0, 10**12)}"),
            job_id=JobId(job_id),
            status=r.choice(list(RunStatus)),
            created_at=self.moment(),
            run_spec=self.run_spec(),
            completed_at=self.maybe(self.moment),
            tasks=self.few(self.task),
            schedule_id=self.maybe(lambda: ScheduleId(self.text())),
            scheduled_at=self.maybe(self.moment),
            starting_deadline_s=self.maybe(lambda: r.randint(0, 10**6)),
            triggered_by=self.maybe(self.text),
            end=self.maybe(self.end),
        )

    def run_info(self, index: int) -> RunInfo:
        return RunInfo(
            id=RunId(f"run-{index}-{self.rng.randint(0, 10**6)}"),
            created_at=self.moment(),
            finished_at=self.moment(),
            tasks=tuple(f"job.a_{index}.{n}" for n in range(self.rng.randint(0, 2))),
            details=self.maybe(self.details),
        )

    def details(self) -> RunDetails:
        return RunDetails(
            end=self.maybe(self.end),
            tasks=self.few(self.task),
            schedule_id=self.maybe(lambda: ScheduleId(self.text())),
            scheduled_at=self.maybe(self.moment),
            triggered_by=self.maybe(self.text),
        )

    def history(self, job_id: str = "job.a", successful: int = 3, failed: int = 3) -> JobHistory:
        r = self.rng
        return JobHistory(
            job_id=JobId(job_id),
            success_count=r.randint(successful, 10**9),
            failure_count=r.randint(failed, 10**9),
            last_success_at=self.maybe(self.moment),
            last_failure_at=self.maybe(self.moment),
            successful_runs=tuple(self.run_info(i) for i in range(successful)),
            failed_runs=tuple(self.run_info(i) for i in range(failed)),
            skipped_count=r.randint(0, 100),
            missed_count=r.randint(0, 100),
            schedule_marks={
                ScheduleId(self.text(empty=False)): self.moment() for _ in range(r.randint(0, 3))
            },
        )


@pytest.fixture
def gen() -> ModelGen:
    return ModelGen(seed=20160614)
