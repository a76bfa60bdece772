from collections.abc import Iterable as _Iterable
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar

from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper

DESCRIPTOR: _descriptor.FileDescriptor

class KeyValue(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    def __init__(self, key: str | None = ..., value: str | None = ...) -> None: ...

class StringList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, values: _Iterable[str] | None = ...) -> None: ...

class Constraint(_message.Message):
    __slots__ = ("attribute", "operator", "value")
    class Operator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OPERATOR_UNSPECIFIED: _ClassVar[Constraint.Operator]
        IS: _ClassVar[Constraint.Operator]
        LIKE: _ClassVar[Constraint.Operator]
        UNLIKE: _ClassVar[Constraint.Operator]

    OPERATOR_UNSPECIFIED: Constraint.Operator
    IS: Constraint.Operator
    LIKE: Constraint.Operator
    UNLIKE: Constraint.Operator
    ATTRIBUTE_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    attribute: str
    operator: Constraint.Operator
    value: str
    def __init__(
        self,
        attribute: str | None = ...,
        operator: Constraint.Operator | str | None = ...,
        value: str | None = ...,
    ) -> None: ...

class Artifact(_message.Message):
    __slots__ = ("cache", "executable", "extract", "uri")
    URI_FIELD_NUMBER: _ClassVar[int]
    EXTRACT_FIELD_NUMBER: _ClassVar[int]
    EXECUTABLE_FIELD_NUMBER: _ClassVar[int]
    CACHE_FIELD_NUMBER: _ClassVar[int]
    uri: str
    extract: bool
    executable: bool
    cache: bool
    def __init__(
        self,
        uri: str | None = ...,
        extract: bool | None = ...,
        executable: bool | None = ...,
        cache: bool | None = ...,
    ) -> None: ...

class Docker(_message.Message):
    __slots__ = ("force_pull_image", "image", "parameters", "privileged")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    FORCE_PULL_IMAGE_FIELD_NUMBER: _ClassVar[int]
    PRIVILEGED_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    image: str
    force_pull_image: bool
    privileged: bool
    parameters: _containers.RepeatedCompositeFieldContainer[KeyValue]
    def __init__(
        self,
        image: str | None = ...,
        force_pull_image: bool | None = ...,
        privileged: bool | None = ...,
        parameters: _Iterable[KeyValue | _Mapping] | None = ...,
    ) -> None: ...

class Volume(_message.Message):
    __slots__ = ("container_path", "host_path", "mode")
    class Mode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        MODE_UNSPECIFIED: _ClassVar[Volume.Mode]
        RO: _ClassVar[Volume.Mode]
        RW: _ClassVar[Volume.Mode]

    MODE_UNSPECIFIED: Volume.Mode
    RO: Volume.Mode
    RW: Volume.Mode
    CONTAINER_PATH_FIELD_NUMBER: _ClassVar[int]
    HOST_PATH_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    container_path: str
    host_path: str
    mode: Volume.Mode
    def __init__(
        self,
        container_path: str | None = ...,
        host_path: str | None = ...,
        mode: Volume.Mode | str | None = ...,
    ) -> None: ...

class Restart(_message.Message):
    __slots__ = ("active_deadline_s", "policy")
    class Policy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        POLICY_UNSPECIFIED: _ClassVar[Restart.Policy]
        NEVER: _ClassVar[Restart.Policy]
        ON_FAILURE: _ClassVar[Restart.Policy]

    POLICY_UNSPECIFIED: Restart.Policy
    NEVER: Restart.Policy
    ON_FAILURE: Restart.Policy
    POLICY_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_DEADLINE_S_FIELD_NUMBER: _ClassVar[int]
    policy: Restart.Policy
    active_deadline_s: int
    def __init__(
        self, policy: Restart.Policy | str | None = ..., active_deadline_s: int | None = ...
    ) -> None: ...

class RunSpec(_message.Message):
    __slots__ = (
        "args",
        "artifacts",
        "cmd",
        "constraints",
        "cpus",
        "disk",
        "docker",
        "env",
        "max_launch_delay_s",
        "mem",
        "restart",
        "task_kill_grace_period_s",
        "timeout_s",
        "user",
        "volumes",
    )
    CPUS_FIELD_NUMBER: _ClassVar[int]
    MEM_FIELD_NUMBER: _ClassVar[int]
    DISK_FIELD_NUMBER: _ClassVar[int]
    CMD_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    ARTIFACTS_FIELD_NUMBER: _ClassVar[int]
    MAX_LAUNCH_DELAY_S_FIELD_NUMBER: _ClassVar[int]
    DOCKER_FIELD_NUMBER: _ClassVar[int]
    VOLUMES_FIELD_NUMBER: _ClassVar[int]
    RESTART_FIELD_NUMBER: _ClassVar[int]
    TASK_KILL_GRACE_PERIOD_S_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    cpus: float
    mem: float
    disk: float
    cmd: str
    args: StringList
    user: str
    env: _containers.RepeatedCompositeFieldContainer[KeyValue]
    constraints: _containers.RepeatedCompositeFieldContainer[Constraint]
    artifacts: _containers.RepeatedCompositeFieldContainer[Artifact]
    max_launch_delay_s: int
    docker: Docker
    volumes: _containers.RepeatedCompositeFieldContainer[Volume]
    restart: Restart
    task_kill_grace_period_s: float
    timeout_s: int
    def __init__(
        self,
        cpus: float | None = ...,
        mem: float | None = ...,
        disk: float | None = ...,
        cmd: str | None = ...,
        args: StringList | _Mapping | None = ...,
        user: str | None = ...,
        env: _Iterable[KeyValue | _Mapping] | None = ...,
        constraints: _Iterable[Constraint | _Mapping] | None = ...,
        artifacts: _Iterable[Artifact | _Mapping] | None = ...,
        max_launch_delay_s: int | None = ...,
        docker: Docker | _Mapping | None = ...,
        volumes: _Iterable[Volume | _Mapping] | None = ...,
        restart: Restart | _Mapping | None = ...,
        task_kill_grace_period_s: float | None = ...,
        timeout_s: int | None = ...,
    ) -> None: ...

class ScheduleSpec(_message.Message):
    __slots__ = (
        "catch_up",
        "concurrency_policy",
        "cron",
        "enabled",
        "id",
        "starting_deadline_s",
        "timezone",
    )
    class ConcurrencyPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        CONCURRENCY_POLICY_UNSPECIFIED: _ClassVar[ScheduleSpec.ConcurrencyPolicy]
        ALLOW: _ClassVar[ScheduleSpec.ConcurrencyPolicy]
        FORBID: _ClassVar[ScheduleSpec.ConcurrencyPolicy]
        REPLACE: _ClassVar[ScheduleSpec.ConcurrencyPolicy]

    CONCURRENCY_POLICY_UNSPECIFIED: ScheduleSpec.ConcurrencyPolicy
    ALLOW: ScheduleSpec.ConcurrencyPolicy
    FORBID: ScheduleSpec.ConcurrencyPolicy
    REPLACE: ScheduleSpec.ConcurrencyPolicy
    class CatchUp(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        CATCH_UP_UNSPECIFIED: _ClassVar[ScheduleSpec.CatchUp]
        NONE: _ClassVar[ScheduleSpec.CatchUp]
        LATEST: _ClassVar[ScheduleSpec.CatchUp]
        ALL: _ClassVar[ScheduleSpec.CatchUp]

    CATCH_UP_UNSPECIFIED: ScheduleSpec.CatchUp
    NONE: ScheduleSpec.CatchUp
    LATEST: ScheduleSpec.CatchUp
    ALL: ScheduleSpec.CatchUp
    ID_FIELD_NUMBER: _ClassVar[int]
    CRON_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    STARTING_DEADLINE_S_FIELD_NUMBER: _ClassVar[int]
    CONCURRENCY_POLICY_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    CATCH_UP_FIELD_NUMBER: _ClassVar[int]
    id: str
    cron: str
    timezone: str
    starting_deadline_s: int
    concurrency_policy: ScheduleSpec.ConcurrencyPolicy
    enabled: bool
    catch_up: ScheduleSpec.CatchUp
    def __init__(
        self,
        id: str | None = ...,
        cron: str | None = ...,
        timezone: str | None = ...,
        starting_deadline_s: int | None = ...,
        concurrency_policy: ScheduleSpec.ConcurrencyPolicy | str | None = ...,
        enabled: bool | None = ...,
        catch_up: ScheduleSpec.CatchUp | str | None = ...,
    ) -> None: ...

class JobSpec(_message.Message):
    __slots__ = (
        "dependencies",
        "description",
        "id",
        "labels",
        "pause_after_failures",
        "run",
        "schedules",
    )
    ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    DEPENDENCIES_FIELD_NUMBER: _ClassVar[int]
    PAUSE_AFTER_FAILURES_FIELD_NUMBER: _ClassVar[int]
    id: str
    description: str
    labels: _containers.RepeatedCompositeFieldContainer[KeyValue]
    schedules: _containers.RepeatedCompositeFieldContainer[ScheduleSpec]
    run: RunSpec
    dependencies: _containers.RepeatedScalarFieldContainer[str]
    pause_after_failures: int
    def __init__(
        self,
        id: str | None = ...,
        description: str | None = ...,
        labels: _Iterable[KeyValue | _Mapping] | None = ...,
        schedules: _Iterable[ScheduleSpec | _Mapping] | None = ...,
        run: RunSpec | _Mapping | None = ...,
        dependencies: _Iterable[str] | None = ...,
        pause_after_failures: int | None = ...,
    ) -> None: ...

class Task(_message.Message):
    __slots__ = ("completed_at_ms", "id", "message", "running_since_ms", "started_at_ms", "status")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATUS_UNSPECIFIED: _ClassVar[Task.Status]
        TASK_STAGING: _ClassVar[Task.Status]
        TASK_STARTING: _ClassVar[Task.Status]
        TASK_RUNNING: _ClassVar[Task.Status]
        TASK_FINISHED: _ClassVar[Task.Status]
        TASK_FAILED: _ClassVar[Task.Status]
        TASK_KILLED: _ClassVar[Task.Status]
        TASK_LOST: _ClassVar[Task.Status]
        TASK_ERROR: _ClassVar[Task.Status]
        TASK_CREATED: _ClassVar[Task.Status]

    STATUS_UNSPECIFIED: Task.Status
    TASK_STAGING: Task.Status
    TASK_STARTING: Task.Status
    TASK_RUNNING: Task.Status
    TASK_FINISHED: Task.Status
    TASK_FAILED: Task.Status
    TASK_KILLED: Task.Status
    TASK_LOST: Task.Status
    TASK_ERROR: Task.Status
    TASK_CREATED: Task.Status
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RUNNING_SINCE_MS_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: Task.Status
    started_at_ms: int
    completed_at_ms: int
    message: str
    running_since_ms: int
    def __init__(
        self,
        id: str | None = ...,
        status: Task.Status | str | None = ...,
        started_at_ms: int | None = ...,
        completed_at_ms: int | None = ...,
        message: str | None = ...,
        running_since_ms: int | None = ...,
    ) -> None: ...

class JobRun(_message.Message):
    __slots__ = (
        "completed_at_ms",
        "created_at_ms",
        "id",
        "job_id",
        "overrides",
        "run_spec",
        "schedule_id",
        "scheduled_at_ms",
        "starting_deadline_s",
        "status",
        "tasks",
        "timed_out",
    )
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATUS_UNSPECIFIED: _ClassVar[JobRun.Status]
        STARTING: _ClassVar[JobRun.Status]
        ACTIVE: _ClassVar[JobRun.Status]
        SUCCESS: _ClassVar[JobRun.Status]
        FAILED: _ClassVar[JobRun.Status]

    STATUS_UNSPECIFIED: JobRun.Status
    STARTING: JobRun.Status
    ACTIVE: JobRun.Status
    SUCCESS: JobRun.Status
    FAILED: JobRun.Status
    ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    RUN_SPEC_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    STARTING_DEADLINE_S_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    id: str
    job_id: str
    status: JobRun.Status
    created_at_ms: int
    run_spec: RunSpec
    completed_at_ms: int
    tasks: _containers.RepeatedCompositeFieldContainer[Task]
    schedule_id: str
    scheduled_at_ms: int
    starting_deadline_s: int
    overrides: OverrideSet
    timed_out: bool
    def __init__(
        self,
        id: str | None = ...,
        job_id: str | None = ...,
        status: JobRun.Status | str | None = ...,
        created_at_ms: int | None = ...,
        run_spec: RunSpec | _Mapping | None = ...,
        completed_at_ms: int | None = ...,
        tasks: _Iterable[Task | _Mapping] | None = ...,
        schedule_id: str | None = ...,
        scheduled_at_ms: int | None = ...,
        starting_deadline_s: int | None = ...,
        overrides: OverrideSet | _Mapping | None = ...,
        timed_out: bool | None = ...,
    ) -> None: ...

class OverrideSet(_message.Message):
    __slots__ = ("args", "cmd", "env", "requested_by")
    ENV_FIELD_NUMBER: _ClassVar[int]
    CMD_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    env: _containers.RepeatedCompositeFieldContainer[KeyValue]
    cmd: str
    args: StringList
    requested_by: str
    def __init__(
        self,
        env: _Iterable[KeyValue | _Mapping] | None = ...,
        cmd: str | None = ...,
        args: StringList | _Mapping | None = ...,
        requested_by: str | None = ...,
    ) -> None: ...

class RunInfo(_message.Message):
    __slots__ = ("created_at_ms", "finished_at_ms", "id", "schedule_id", "scheduled_at_ms", "tasks")
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    id: str
    created_at_ms: int
    finished_at_ms: int
    tasks: _containers.RepeatedScalarFieldContainer[str]
    schedule_id: str
    scheduled_at_ms: int
    def __init__(
        self,
        id: str | None = ...,
        created_at_ms: int | None = ...,
        finished_at_ms: int | None = ...,
        tasks: _Iterable[str] | None = ...,
        schedule_id: str | None = ...,
        scheduled_at_ms: int | None = ...,
    ) -> None: ...

class RunInfoPage(_message.Message):
    __slots__ = ("runs",)
    RUNS_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[RunInfo]
    def __init__(self, runs: _Iterable[RunInfo | _Mapping] | None = ...) -> None: ...

class JobHistory(_message.Message):
    __slots__ = (
        "backfills",
        "consecutive_failures",
        "dependency_marks",
        "failed_pages",
        "failure_count",
        "job_id",
        "last_failure_at_ms",
        "last_success_at_ms",
        "missed_count",
        "pause",
        "paused_count",
        "schedule_marks",
        "skipped_count",
        "slot_logs",
        "success_count",
        "successful_pages",
    )
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_SUCCESS_AT_MS_FIELD_NUMBER: _ClassVar[int]
    LAST_FAILURE_AT_MS_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_COUNT_FIELD_NUMBER: _ClassVar[int]
    MISSED_COUNT_FIELD_NUMBER: _ClassVar[int]
    SUCCESSFUL_PAGES_FIELD_NUMBER: _ClassVar[int]
    FAILED_PAGES_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_MARKS_FIELD_NUMBER: _ClassVar[int]
    DEPENDENCY_MARKS_FIELD_NUMBER: _ClassVar[int]
    CONSECUTIVE_FAILURES_FIELD_NUMBER: _ClassVar[int]
    PAUSE_FIELD_NUMBER: _ClassVar[int]
    PAUSED_COUNT_FIELD_NUMBER: _ClassVar[int]
    SLOT_LOGS_FIELD_NUMBER: _ClassVar[int]
    BACKFILLS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    success_count: int
    failure_count: int
    last_success_at_ms: int
    last_failure_at_ms: int
    skipped_count: int
    missed_count: int
    successful_pages: _containers.RepeatedScalarFieldContainer[str]
    failed_pages: _containers.RepeatedScalarFieldContainer[str]
    schedule_marks: _containers.RepeatedCompositeFieldContainer[ScheduleMark]
    dependency_marks: _containers.RepeatedCompositeFieldContainer[DepMark]
    consecutive_failures: int
    pause: Pause
    paused_count: int
    slot_logs: _containers.RepeatedCompositeFieldContainer[SlotLog]
    backfills: _containers.RepeatedCompositeFieldContainer[ScheduleMark]
    def __init__(
        self,
        job_id: str | None = ...,
        success_count: int | None = ...,
        failure_count: int | None = ...,
        last_success_at_ms: int | None = ...,
        last_failure_at_ms: int | None = ...,
        skipped_count: int | None = ...,
        missed_count: int | None = ...,
        successful_pages: _Iterable[str] | None = ...,
        failed_pages: _Iterable[str] | None = ...,
        schedule_marks: _Iterable[ScheduleMark | _Mapping] | None = ...,
        dependency_marks: _Iterable[DepMark | _Mapping] | None = ...,
        consecutive_failures: int | None = ...,
        pause: Pause | _Mapping | None = ...,
        paused_count: int | None = ...,
        slot_logs: _Iterable[SlotLog | _Mapping] | None = ...,
        backfills: _Iterable[ScheduleMark | _Mapping] | None = ...,
    ) -> None: ...

class SlotLog(_message.Message):
    __slots__ = ("ranges", "schedule_id", "since_ms")
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_MS_FIELD_NUMBER: _ClassVar[int]
    RANGES_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    since_ms: int
    ranges: _containers.RepeatedCompositeFieldContainer[SlotRange]
    def __init__(
        self,
        schedule_id: str | None = ...,
        since_ms: int | None = ...,
        ranges: _Iterable[SlotRange | _Mapping] | None = ...,
    ) -> None: ...

class SlotRange(_message.Message):
    __slots__ = ("count", "first_ms", "last_ms", "outcome")
    class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OUTCOME_UNSPECIFIED: _ClassVar[SlotRange.Outcome]
        missed: _ClassVar[SlotRange.Outcome]
        skipped: _ClassVar[SlotRange.Outcome]
        paused: _ClassVar[SlotRange.Outcome]

    OUTCOME_UNSPECIFIED: SlotRange.Outcome
    missed: SlotRange.Outcome
    skipped: SlotRange.Outcome
    paused: SlotRange.Outcome
    FIRST_MS_FIELD_NUMBER: _ClassVar[int]
    LAST_MS_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    first_ms: int
    last_ms: int
    outcome: SlotRange.Outcome
    count: int
    def __init__(
        self,
        first_ms: int | None = ...,
        last_ms: int | None = ...,
        outcome: SlotRange.Outcome | str | None = ...,
        count: int | None = ...,
    ) -> None: ...

class Pause(_message.Message):
    __slots__ = ("automatic", "by", "reason", "since_ms", "until_ms")
    SINCE_MS_FIELD_NUMBER: _ClassVar[int]
    BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    UNTIL_MS_FIELD_NUMBER: _ClassVar[int]
    AUTOMATIC_FIELD_NUMBER: _ClassVar[int]
    since_ms: int
    by: str
    reason: str
    until_ms: int
    automatic: bool
    def __init__(
        self,
        since_ms: int | None = ...,
        by: str | None = ...,
        reason: str | None = ...,
        until_ms: int | None = ...,
        automatic: bool | None = ...,
    ) -> None: ...

class DepMark(_message.Message):
    __slots__ = ("at_ms", "job_id")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    AT_MS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    at_ms: int
    def __init__(self, job_id: str | None = ..., at_ms: int | None = ...) -> None: ...

class ScheduleMark(_message.Message):
    __slots__ = ("at_ms", "schedule_id")
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    AT_MS_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    at_ms: int
    def __init__(self, schedule_id: str | None = ..., at_ms: int | None = ...) -> None: ...
