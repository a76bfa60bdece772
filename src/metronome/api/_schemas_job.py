"""Job bodies (POST/PUT /v1/jobs, /v0/scheduled-jobs): JSON -> JobSpec, rules of behavior §2."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any, ClassVar

from marshmallow import ValidationError, post_load, validates_schema

from metronome.api._schemas_fields import (
    Array,
    Boolean,
    Choice,
    Integer,
    Number,
    Object,
    StrictSchema,
    String,
    StringMap,
    enum_choices,
    shown,
)
from metronome.api._schemas_schedule import InlineScheduleSchema, validate_job_id
from metronome.model import (
    DEPENDENCIES_AND_SCHEDULES,
    Artifact,
    Constraint,
    ConstraintOperator,
    Docker,
    DockerParameter,
    JobId,
    JobSpec,
    Restart,
    RestartPolicy,
    RunSpec,
    Volume,
    VolumeMode,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from metronome.launch import TaskPolicy

_CONTAINER_PATH = re.compile(r"/[^/].*")
_REGEX_OPERATORS = (ConstraintOperator.LIKE, ConstraintOperator.UNLIKE)


def _validate_container_path(value: str) -> None:
    if _CONTAINER_PATH.fullmatch(value) is None:
        raise ValidationError(f"'{shown(value)}' does not match pattern '^/[^/].*$'.")


class ConstraintSchema(StrictSchema):
    attribute = String(required=True)
    # EQ is read as IS, as current Metronome does (behavior §2.7.9).
    operator = Choice(
        {"EQ": ConstraintOperator.IS, **enum_choices(ConstraintOperator)}, required=True
    )
    value = String()

    @validates_schema
    def _regex_value(self, data: dict[str, Any], **_: Any) -> None:
        value = data.get("value")
        if data["operator"] not in _REGEX_OPERATORS or value is None:
            return
        try:
            re.compile(value)
        except (re.error, OverflowError, RecursionError) as exc:
            operator = data["operator"]
            msg = f"'{shown(value)}' is not a valid regular expression for {operator}: {exc}"
            raise ValidationError(msg, field_name="value") from exc

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Constraint:
        return Constraint(**data)


class PlacementSchema(StrictSchema):
    constraints = Array(Object(ConstraintSchema))

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> tuple[Constraint, ...]:
        constraints: tuple[Constraint, ...] = data.get("constraints", ())
        return constraints


class ArtifactSchema(StrictSchema):
    uri = String(required=True)
    extract = Boolean()
    executable = Boolean()
    cache = Boolean()

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Artifact:
        return Artifact(**data)


class DockerParameterSchema(StrictSchema):
    key = String(required=True)
    value = String(required=True)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> DockerParameter:
        return DockerParameter(**data)


class DockerSchema(StrictSchema):
    image = String(required=True, min_length=1)
    force_pull_image = Boolean(data_key="forcePullImage")
    privileged = Boolean()
    parameters = Array(Object(DockerParameterSchema))

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Docker:
        return Docker(**data)


class VolumeSchema(StrictSchema):
    later_versions: ClassVar[Mapping[str, str]] = {"secret": "a file-based secret"}

    container_path = String(
        data_key="containerPath", required=True, validate=_validate_container_path
    )
    host_path = String(data_key="hostPath", required=True, min_length=1)
    mode = Choice(enum_choices(VolumeMode), required=True)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Volume:
        return Volume(**data)


class RestartSchema(StrictSchema):
    policy = Choice(enum_choices(RestartPolicy), required=True)
    active_deadline_s = Integer(data_key="activeDeadlineSeconds", minimum=0)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Restart:
        return Restart(**data)


class RunSchema(StrictSchema):
    later_versions: ClassVar[Mapping[str, str]] = {
        "gpus": "GPU resources",
        "ucr": "the Universal Container Runtime",
        "secrets": "secrets",
        "networks": "container networks",
    }

    cpus = Number(required=True, minimum=0.01)
    mem = Number(required=True, minimum=32)
    disk = Number(required=True, minimum=0)
    cmd = String(min_length=1)
    args = Array(String())
    user = String()
    env = StringMap(secret_refs=True)
    constraints = Object(PlacementSchema, data_key="placement")
    artifacts = Array(Object(ArtifactSchema))
    max_launch_delay_s = Integer(data_key="maxLaunchDelay", minimum=1)
    docker = Object(DockerSchema)
    volumes = Array(Object(VolumeSchema))
    restart = Object(RestartSchema)
    task_kill_grace_period_s = Number(data_key="taskKillGracePeriodSeconds", minimum=0)
    timeout_s = Integer(
        data_key="timeoutSeconds",
        minimum=1,
        metadata={
            "description": "A task running longer is killed (SIGTERM, then SIGKILL after "
            "taskKillGracePeriodSeconds) and the run ends FAILED, timed out. Counted from the "
            "task's first active status; no relaunch, whatever the restart policy."
        },
    )

    # Judged on the raw body so that it is reported along with field errors, and not again
    # when the field itself is invalid (an empty `cmd` is a /run/cmd error only).
    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _something_to_run(self, data: dict[str, Any], original: dict[str, Any], **_: Any) -> None:
        if "cmd" in original and "args" in original:
            raise ValidationError("It is invalid to supply both cmd and args in the same job.")
        args, docker = original.get("args"), original.get("docker")
        if not (
            "cmd" in original
            or (isinstance(args, list) and args)
            or (isinstance(docker, dict) and "image" in docker)
        ):
            raise ValidationError("Cmd, Args or Docker image must be specified")

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> RunSpec:
        return RunSpec(**data)


class V0RunSchema(RunSchema):
    """The v0 schema has no taskKillGracePeriodSeconds (behavior §1.5, v0 scheduled-jobs)."""

    class Meta:
        exclude = ("task_kill_grace_period_s",)


class DependencySchema(StrictSchema):
    id = String(required=True, validate=validate_job_id)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> JobId:
        return JobId(data["id"])


class JobSchema(StrictSchema):
    id = String(required=True, validate=validate_job_id)
    description = String()
    labels = StringMap()
    run = Object(RunSchema, required=True)
    schedules = Array(Object(InlineScheduleSchema))
    dependencies = Array(
        Object(DependencySchema),
        metadata={
            "description": "Parent jobs: this job runs once every parent's latest run has "
            "succeeded since this job last succeeded (and since the parent run it last "
            "answered). Not with schedules; a parent cannot be deleted while children exist."
        },
    )
    pause_after_failures = Integer(
        data_key="pauseAfterFailures",
        minimum=1,
        metadata={
            "description": "Pause the job (POST /v1/jobs/{jobId}/resume ends it) once this many"
            " of its runs in a row have failed"
        },
    )

    # Metronome's rules and words (behavior §2.6).
    @validates_schema(skip_on_field_errors=False)
    def _dependencies(self, data: dict[str, Any], **_: Any) -> None:
        dependencies = data.get("dependencies", ())
        if len(set(dependencies)) != len(dependencies):
            raise ValidationError("has double entries", field_name="dependencies")
        if dependencies and data.get("schedules"):
            raise ValidationError(DEPENDENCIES_AND_SCHEDULES)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _unique_schedule_ids(
        self, data: dict[str, Any], original: dict[str, Any], **_: Any
    ) -> None:
        schedules = original.get("schedules")
        if not isinstance(schedules, list):
            return
        ids = Counter(
            s["id"] for s in schedules if isinstance(s, dict) and isinstance(s.get("id"), str)
        )
        repeated = [f"'{shown(i)}'" for i, n in ids.items() if n > 1]
        if repeated:
            msg = f"Schedule ids must be unique, but found repeated {', '.join(repeated[:10])}."
            raise ValidationError(msg, field_name="schedules")

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> JobSpec:
        return JobSpec(**data)


class V0JobSchema(JobSchema):
    run = Object(V0RunSchema, required=True)


def policy_details(run: RunSpec, policy: TaskPolicy) -> list[dict[str, Any]]:
    """What the operator's task policy refuses in a valid run, as 422 `details` entries: the
    users a job may name (`/run/user`), Docker's `privileged` and `parameters`."""
    by_path: dict[str, list[str]] = {}
    for refusal in policy.refusals(run):
        by_path.setdefault(refusal.path, []).append(refusal.message)
    return [{"path": path, "errors": errors} for path, errors in by_path.items()]
