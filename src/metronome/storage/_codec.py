"""Model <-> protobuf records (proto/metronome.proto), one encode/decode pair per record kind.

Times are stored as epoch milliseconds: a sub-millisecond part is dropped, and a decoded time is
in UTC. Everything else round-trips exactly, including None versus empty values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from google.protobuf.message import DecodeError

from metronome.model import (
    Artifact,
    CatchUpPolicy,
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
    Pause,
    Restart,
    RestartPolicy,
    RunDetails,
    RunEnd,
    RunId,
    RunInfo,
    RunOverrides,
    RunSpec,
    RunStatus,
    ScheduleId,
    ScheduleSpec,
    SlotLog,
    SlotOutcome,
    SlotRange,
    Task,
    TaskStatus,
    Volume,
    VolumeMode,
)
from metronome.storage import metronome_pb2 as pb
from metronome.storage._store import StorageError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from enum import StrEnum

    from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
    from google.protobuf.message import Message

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)

_M = TypeVar("_M", bound="Message")
_T = TypeVar("_T")
_E = TypeVar("_E", bound="StrEnum")
_P = TypeVar("_P", bound=int)


class _EnumMap(Generic[_E, _P]):
    """Model enum <-> proto enum number, by member name; a dict lookup each way (fast to load).

    A model member that the proto lacks fails here, at import: add it to metronome.proto.
    """

    def __init__(self, model: type[_E], proto: type[_P]) -> None:
        # The stubs declare a proto enum as an int subclass; at run time it is the wrapper.
        wrapper = cast("EnumTypeWrapper", proto)
        self.to_pb: dict[_E, _P] = {
            member: cast("_P", wrapper.Value(member.value)) for member in model
        }
        self.from_pb: dict[int, _E] = {number: member for member, number in self.to_pb.items()}


_OPERATORS = _EnumMap(ConstraintOperator, pb.Constraint.Operator)
_VOLUME_MODES = _EnumMap(VolumeMode, pb.Volume.Mode)
_RESTART_POLICIES = _EnumMap(RestartPolicy, pb.Restart.Policy)
_CONCURRENCY_POLICIES = _EnumMap(ConcurrencyPolicy, pb.ScheduleSpec.ConcurrencyPolicy)
_CATCH_UPS = _EnumMap(CatchUpPolicy, pb.ScheduleSpec.CatchUp)
_SLOT_OUTCOMES = _EnumMap(SlotOutcome, pb.SlotRange.Outcome)
_RUN_STATUSES = _EnumMap(RunStatus, pb.JobRun.Status)
_TASK_STATUSES = _EnumMap(TaskStatus, pb.Task.Status)
_END_KINDS = _EnumMap(EndKind, pb.DetailEnd.Kind)


@dataclass(frozen=True, slots=True)
class HistoryPages:
    """Names of the page nodes of a history's two lists, oldest page first."""

    successful: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()


def encode_job(spec: JobSpec) -> bytes:
    return pb.JobSpec(
        id=spec.id,
        description=spec.description,
        labels=_pairs(spec.labels),
        schedules=[_schedule_to_pb(s) for s in spec.schedules],
        run=_run_spec_to_pb(spec.run),
        dependencies=spec.dependencies,
        pause_after_failures=spec.pause_after_failures,
    ).SerializeToString()


def decode_job(data: bytes, path: str) -> JobSpec:
    """Raises StorageError naming `path` when `data` is not a valid JobSpec record."""
    return _decode(data, path, pb.JobSpec, _job_from_pb)


def encode_run(run: JobRun) -> bytes:
    return pb.JobRun(
        id=run.id,
        job_id=run.job_id,
        status=_RUN_STATUSES.to_pb[run.status],
        created_at_ms=_ms(run.created_at),
        run_spec=_run_spec_to_pb(run.run_spec),
        completed_at_ms=_optional_ms(run.completed_at),
        tasks=[_task_to_pb(t) for t in run.tasks],
        schedule_id=run.schedule_id,
        scheduled_at_ms=_optional_ms(run.scheduled_at),
        starting_deadline_s=run.starting_deadline_s,
        overrides=None if run.overrides is None else _overrides_to_pb(run.overrides),
        triggered_by=run.triggered_by,
        end=_end_to_pb(run.end),
        by_dependencies=run.by_dependencies,
    ).SerializeToString()


def decode_run(data: bytes, path: str) -> JobRun:
    """Raises StorageError naming `path` when `data` is not a valid JobRun record."""
    return _decode(data, path, pb.JobRun, _run_from_pb)


def encode_history(history: JobHistory, pages: HistoryPages) -> bytes:
    """The history's own record: its counters and page names; the runs go in pages, joins
    of `encode_page_entry`."""
    return pb.JobHistory(
        job_id=history.job_id,
        success_count=history.success_count,
        failure_count=history.failure_count,
        last_success_at_ms=_optional_ms(history.last_success_at),
        last_failure_at_ms=_optional_ms(history.last_failure_at),
        skipped_count=history.skipped_count,
        missed_count=history.missed_count,
        successful_pages=pages.successful,
        failed_pages=pages.failed,
        schedule_marks=[
            pb.ScheduleMark(schedule_id=schedule_id, at_ms=_ms(moment))
            for schedule_id, moment in history.schedule_marks.items()
        ],
        dependency_marks=[
            pb.DepMark(job_id=job_id, at_ms=_ms(moment))
            for job_id, moment in history.dependency_marks.items()
        ],
        consecutive_failures=history.consecutive_failures,
        pause=_pause_to_pb(history.pause),
        paused_count=history.paused_count,
        slot_logs=[_slot_log_to_pb(i, log) for i, log in history.slot_logs.items()],
        backfills=[pb.ScheduleMark(schedule_id=i, at_ms=_ms(at)) for i, at in history.backfills],
    ).SerializeToString()


def _slot_log_to_pb(schedule_id: str, log: SlotLog) -> pb.SlotLog:
    return pb.SlotLog(
        schedule_id=schedule_id,
        since_ms=_ms(log.since),
        ranges=[
            pb.SlotRange(
                first_ms=_ms(r.first),
                last_ms=_ms(r.last),
                outcome=_SLOT_OUTCOMES.to_pb[r.outcome],
                count=r.count,
            )
            for r in log.ranges
        ],
    )


def _slot_log_from_pb(m: pb.SlotLog) -> SlotLog:
    ranges = tuple(
        SlotRange(_time(r.first_ms), _time(r.last_ms), _SLOT_OUTCOMES.from_pb[r.outcome], r.count)
        for r in m.ranges
    )
    return SlotLog(since=_time(m.since_ms), ranges=ranges)


def _pause_to_pb(pause: Pause | None) -> pb.Pause | None:
    if pause is None:
        return None
    return pb.Pause(
        since_ms=_ms(pause.since),
        by=pause.by,
        reason=pause.reason,
        until_ms=_optional_ms(pause.until),
        automatic=pause.automatic,
    )


def _pause_from_pb(m: pb.Pause) -> Pause:
    return Pause(
        since=_time(m.since_ms),
        by=m.by if m.HasField("by") else None,
        reason=m.reason if m.HasField("reason") else None,
        until=_time(m.until_ms) if m.HasField("until_ms") else None,
        automatic=m.automatic,
    )


def decode_history(
    data: bytes,
    path: str,
    successful_runs: tuple[RunInfo, ...] = (),
    failed_runs: tuple[RunInfo, ...] = (),
) -> JobHistory:
    """The history from its own record, with the given run lists (newest first).

    Raises StorageError naming `path` when `data` is not a valid JobHistory record.
    """
    return _decode(
        data, path, pb.JobHistory, lambda m: _history_from_pb(m, successful_runs, failed_runs)
    )


def decode_history_pages(data: bytes, path: str) -> HistoryPages:
    """The page names in a history's own record.

    Raises StorageError naming `path` when `data` is not a valid JobHistory record.
    """
    return _decode(
        data,
        path,
        pb.JobHistory,
        lambda m: HistoryPages(tuple(m.successful_pages), tuple(m.failed_pages)),
    )


def encode_page_entry(run: RunInfo) -> bytes:
    """One run as a one-run page. Serialized messages concatenate into their merge, so the
    entries of a page, joined, are the page: a changed page re-encodes only its new runs."""
    entry = pb.RunInfo(
        id=run.id,
        created_at_ms=_ms(run.created_at),
        finished_at_ms=_ms(run.finished_at),
        tasks=run.tasks,
        details=None if run.details is None else _details_to_pb(run.details),
    )
    return pb.RunInfoPage(runs=[entry]).SerializeToString()


def decode_page(data: bytes, path: str) -> tuple[RunInfo, ...]:
    """Raises StorageError naming `path` when `data` is not a valid RunInfoPage record."""
    return _decode(data, path, pb.RunInfoPage, _page_from_pb)


def _decode(data: bytes, path: str, message_type: type[_M], convert: Callable[[_M], _T]) -> _T:
    message = message_type()
    try:
        message.ParseFromString(data)
        return convert(message)
    except (DecodeError, ValueError, OverflowError, KeyError) as exc:
        reason = f"unknown enum value {exc}" if isinstance(exc, KeyError) else str(exc)
        msg = f"{path}: not a valid {message_type.DESCRIPTOR.name} record: {reason}"
        raise StorageError(msg) from exc


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        msg = f"naive datetime {moment} cannot be stored; use an aware one"
        raise ValueError(msg)
    return (moment - _EPOCH) // _MS


def _optional_ms(moment: datetime | None) -> int | None:
    return None if moment is None else _ms(moment)


def _time(ms: int) -> datetime:
    return _EPOCH + ms * _MS


def _pairs(mapping: Mapping[str, str]) -> list[pb.KeyValue]:
    return [pb.KeyValue(key=k, value=v) for k, v in mapping.items()]


def _schedule_to_pb(schedule: ScheduleSpec) -> pb.ScheduleSpec:
    return pb.ScheduleSpec(
        id=schedule.id,
        cron=schedule.cron,
        timezone=schedule.timezone,
        starting_deadline_s=schedule.starting_deadline_s,
        concurrency_policy=_CONCURRENCY_POLICIES.to_pb[schedule.concurrency_policy],
        enabled=schedule.enabled,
        catch_up=_CATCH_UPS.to_pb[schedule.catch_up] if schedule.catch_up else None,
    )


def _run_spec_to_pb(spec: RunSpec) -> pb.RunSpec:
    return pb.RunSpec(
        cpus=spec.cpus,
        mem=spec.mem,
        disk=spec.disk,
        cmd=spec.cmd,
        args=None if spec.args is None else pb.StringList(values=spec.args),
        user=spec.user,
        env=_pairs(spec.env),
        constraints=[
            pb.Constraint(
                attribute=c.attribute,
                operator=_OPERATORS.to_pb[c.operator],
                value=c.value,
            )
            for c in spec.constraints
        ],
        artifacts=[
            pb.Artifact(uri=a.uri, extract=a.extract, executable=a.executable, cache=a.cache)
            for a in spec.artifacts
        ],
        max_launch_delay_s=spec.max_launch_delay_s,
        docker=None if spec.docker is None else _docker_to_pb(spec.docker),
        volumes=[
            pb.Volume(
                container_path=v.container_path,
                host_path=v.host_path,
                mode=_VOLUME_MODES.to_pb[v.mode],
            )
            for v in spec.volumes
        ],
        restart=pb.Restart(
            policy=_RESTART_POLICIES.to_pb[spec.restart.policy],
            active_deadline_s=spec.restart.active_deadline_s,
        ),
        task_kill_grace_period_s=spec.task_kill_grace_period_s,
        timeout_s=spec.timeout_s,
    )


def _overrides_to_pb(overrides: RunOverrides) -> pb.OverrideSet:
    return pb.OverrideSet(
        env=_pairs(overrides.env),
        cmd=overrides.cmd,
        args=None if overrides.args is None else pb.StringList(values=overrides.args),
    )


def _docker_to_pb(docker: Docker) -> pb.Docker:
    return pb.Docker(
        image=docker.image,
        force_pull_image=docker.force_pull_image,
        privileged=docker.privileged,
        parameters=[pb.KeyValue(key=p.key, value=p.value) for p in docker.parameters],
    )


def _task_to_pb(task: Task) -> pb.Task:
    return pb.Task(
        id=task.id,
        status=_TASK_STATUSES.to_pb[task.status],
        started_at_ms=_ms(task.started_at),
        completed_at_ms=_optional_ms(task.completed_at),
        message=task.message,
        running_since_ms=_optional_ms(task.running_since),
        exit_code=task.exit_code,
        ended_at_ms=_optional_ms(task.ended_at),
        launcher=task.launcher,
        launcher_host=task.launcher_host,
    )


def _end_to_pb(end: RunEnd | None) -> pb.DetailEnd | None:
    if end is None:
        return None
    return pb.DetailEnd(
        kind=end.kind.value,  # the proto enum takes its member names
        exit_code=end.exit_code,
        signal=end.signal,
        message=end.message,
        by=end.by,
    )


def _details_to_pb(details: RunDetails) -> pb.DetailRun:
    return pb.DetailRun(
        end=_end_to_pb(details.end),
        tasks=[_task_to_pb(t) for t in details.tasks],
        schedule_id=details.schedule_id,
        scheduled_at_ms=_optional_ms(details.scheduled_at),
        triggered_by=details.triggered_by,
        overrides=None if details.overrides is None else _overrides_to_pb(details.overrides),
        by_dependencies=details.by_dependencies,
    )


def _job_from_pb(m: pb.JobSpec) -> JobSpec:
    if not m.HasField("run"):
        msg = "missing run"
        raise ValueError(msg)
    return JobSpec(
        id=JobId(m.id),
        run=_run_spec_from_pb(m.run),
        description=m.description if m.HasField("description") else None,
        labels={kv.key: kv.value for kv in m.labels},
        schedules=tuple(_schedule_from_pb(s) for s in m.schedules),
        dependencies=tuple(JobId(d) for d in m.dependencies),
        pause_after_failures=(
            m.pause_after_failures if m.HasField("pause_after_failures") else None
        ),
    )


def _schedule_from_pb(m: pb.ScheduleSpec) -> ScheduleSpec:
    return ScheduleSpec(
        id=ScheduleId(m.id),
        cron=m.cron,
        timezone=m.timezone,
        starting_deadline_s=m.starting_deadline_s,
        concurrency_policy=_CONCURRENCY_POLICIES.from_pb[m.concurrency_policy],
        enabled=m.enabled,
        catch_up=_CATCH_UPS.from_pb.get(m.catch_up),
    )


def _run_spec_from_pb(m: pb.RunSpec) -> RunSpec:
    return RunSpec(
        cpus=m.cpus,
        mem=m.mem,
        disk=m.disk,
        cmd=m.cmd if m.HasField("cmd") else None,
        args=tuple(m.args.values) if m.HasField("args") else None,
        user=m.user if m.HasField("user") else None,
        env={kv.key: kv.value for kv in m.env},
        constraints=tuple(
            Constraint(
                attribute=c.attribute,
                operator=_OPERATORS.from_pb[c.operator],
                value=c.value if c.HasField("value") else None,
            )
            for c in m.constraints
        ),
        artifacts=tuple(
            Artifact(uri=a.uri, extract=a.extract, executable=a.executable, cache=a.cache)
            for a in m.artifacts
        ),
        max_launch_delay_s=m.max_launch_delay_s,
        docker=_docker_from_pb(m.docker) if m.HasField("docker") else None,
        volumes=tuple(
            Volume(
                container_path=v.container_path,
                host_path=v.host_path,
                mode=_VOLUME_MODES.from_pb[v.mode],
            )
            for v in m.volumes
        ),
        restart=Restart(
            policy=_RESTART_POLICIES.from_pb[m.restart.policy],
            active_deadline_s=(
                m.restart.active_deadline_s if m.restart.HasField("active_deadline_s") else None
            ),
        ),
        task_kill_grace_period_s=(
            m.task_kill_grace_period_s if m.HasField("task_kill_grace_period_s") else None
        ),
        timeout_s=m.timeout_s if m.HasField("timeout_s") else None,
    )


def _overrides_from_pb(m: pb.OverrideSet) -> RunOverrides:
    return RunOverrides(
        env={kv.key: kv.value for kv in m.env},
        cmd=m.cmd if m.HasField("cmd") else None,
        args=tuple(m.args.values) if m.HasField("args") else None,
    )


def _docker_from_pb(m: pb.Docker) -> Docker:
    return Docker(
        image=m.image,
        force_pull_image=m.force_pull_image,
        privileged=m.privileged,
        parameters=tuple(DockerParameter(key=p.key, value=p.value) for p in m.parameters),
    )


def _task_from_pb(m: pb.Task) -> Task:
    return Task(
        id=m.id,
        status=_TASK_STATUSES.from_pb[m.status],
        started_at=_time(m.started_at_ms),
        completed_at=_time(m.completed_at_ms) if m.HasField("completed_at_ms") else None,
        message=m.message if m.HasField("message") else None,
        running_since=(_time(m.running_since_ms) if m.HasField("running_since_ms") else None),
        exit_code=m.exit_code if m.HasField("exit_code") else None,
        ended_at=_time(m.ended_at_ms) if m.HasField("ended_at_ms") else None,
        launcher=m.launcher if m.HasField("launcher") else None,
        launcher_host=m.launcher_host if m.HasField("launcher_host") else None,
    )


def _end_from_pb(m: pb.DetailEnd) -> RunEnd:
    return RunEnd(
        kind=_END_KINDS.from_pb[m.kind],
        exit_code=m.exit_code if m.HasField("exit_code") else None,
        signal=m.signal if m.HasField("signal") else None,
        message=m.message if m.HasField("message") else None,
        by=m.by if m.HasField("by") else None,
    )


def _details_from_pb(m: pb.DetailRun) -> RunDetails:
    return RunDetails(
        end=_end_from_pb(m.end) if m.HasField("end") else None,
        tasks=tuple(_task_from_pb(t) for t in m.tasks),
        schedule_id=ScheduleId(m.schedule_id) if m.HasField("schedule_id") else None,
        scheduled_at=_time(m.scheduled_at_ms) if m.HasField("scheduled_at_ms") else None,
        triggered_by=m.triggered_by if m.HasField("triggered_by") else None,
        overrides=_overrides_from_pb(m.overrides) if m.HasField("overrides") else None,
        by_dependencies=m.by_dependencies,
    )


def _run_from_pb(m: pb.JobRun) -> JobRun:
    if not m.HasField("run_spec"):
        msg = "missing run_spec"
        raise ValueError(msg)
    return JobRun(
        id=RunId(m.id),
        job_id=JobId(m.job_id),
        status=_RUN_STATUSES.from_pb[m.status],
        created_at=_time(m.created_at_ms),
        run_spec=_run_spec_from_pb(m.run_spec),
        completed_at=_time(m.completed_at_ms) if m.HasField("completed_at_ms") else None,
        tasks=tuple(_task_from_pb(t) for t in m.tasks),
        schedule_id=ScheduleId(m.schedule_id) if m.HasField("schedule_id") else None,
        scheduled_at=_time(m.scheduled_at_ms) if m.HasField("scheduled_at_ms") else None,
        starting_deadline_s=m.starting_deadline_s if m.HasField("starting_deadline_s") else None,
        overrides=_overrides_from_pb(m.overrides) if m.HasField("overrides") else None,
        triggered_by=m.triggered_by if m.HasField("triggered_by") else None,
        end=_end_from_pb(m.end) if m.HasField("end") else None,
        by_dependencies=m.by_dependencies,
    )


def _history_from_pb(
    m: pb.JobHistory, successful_runs: tuple[RunInfo, ...], failed_runs: tuple[RunInfo, ...]
) -> JobHistory:
    return JobHistory(
        job_id=JobId(m.job_id),
        success_count=m.success_count,
        failure_count=m.failure_count,
        last_success_at=_time(m.last_success_at_ms) if m.HasField("last_success_at_ms") else None,
        last_failure_at=_time(m.last_failure_at_ms) if m.HasField("last_failure_at_ms") else None,
        successful_runs=successful_runs,
        failed_runs=failed_runs,
        skipped_count=m.skipped_count,
        missed_count=m.missed_count,
        schedule_marks={ScheduleId(s.schedule_id): _time(s.at_ms) for s in m.schedule_marks},
        dependency_marks={JobId(d.job_id): _time(d.at_ms) for d in m.dependency_marks},
        consecutive_failures=m.consecutive_failures,
        pause=_pause_from_pb(m.pause) if m.HasField("pause") else None,
        paused_count=m.paused_count,
        slot_logs={ScheduleId(log.schedule_id): _slot_log_from_pb(log) for log in m.slot_logs},
        backfills=tuple((ScheduleId(b.schedule_id), _time(b.at_ms)) for b in m.backfills),
    )


def _page_from_pb(m: pb.RunInfoPage) -> tuple[RunInfo, ...]:
    return tuple(
        RunInfo(
            id=RunId(r.id),
            created_at=_time(r.created_at_ms),
            finished_at=_time(r.finished_at_ms),
            tasks=tuple(r.tasks),
            details=_details_from_pb(r.details) if r.HasField("details") else None,
        )
        for r in m.runs
    )
