from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class KeyValue(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class StringList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, values: _Optional[_Iterable[str]] = ...) -> None: ...

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
    def __init__(self, attribute: _Optional[str] = ..., operator: _Optional[_Union[Constraint.Operator, str]] = ..., value: _Optional[str] = ...) -> None: ...

class Artifact(_message.Message):
    __slots__ = ("uri", "extract", "executable", "cache")
    URI_FIELD_NUMBER: _ClassVar[int]
    EXTRACT_FIELD_NUMBER: _ClassVar[int]
    EXECUTABLE_FIELD_NUMBER: _ClassVar[int]
    CACHE_FIELD_NUMBER: _ClassVar[int]
    uri: str
    extract: bool
    executable: bool
    cache: bool
    def __init__(self, uri: _Optional[str] = ..., extract: _Optional[bool] = ..., executable: _Optional[bool] = ..., cache: _Optional[bool] = ...) -> None: ...

class Docker(_message.Message):
    __slots__ = ("image", "force_pull_image", "privileged", "parameters")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    FORCE_PULL_IMAGE_FIELD_NUMBER: _ClassVar[int]
    PRIVILEGED_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    image: str
    force_pull_image: bool
    privileged: bool
    parameters: _containers.RepeatedCompositeFieldContainer[KeyValue]
    def __init__(self, image: _Optional[str] = ..., force_pull_image: _Optional[bool] = ..., privileged: _Optional[bool] = ..., parameters: _Optional[_Iterable[_Union[KeyValue, _Mapping]]] = ...) -> None: ...

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
    def __init__(self, container_path: _Optional[str] = ..., host_path: _Optional[str] = ..., mode: _Optional[_Union[Volume.Mode, str]] = ...) -> None: ...

class Restart(_message.Message):
    __slots__ = ("policy", "active_deadline_s")
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
    def __init__(self, policy: _Optional[_Union[Restart.Policy, str]] = ..., active_deadline_s: _Optional[int] = ...) -> None: ...

class RunSpec(_message.Message):
    __slots__ = ("cpus", "mem", "disk", "cmd", "args", "user", "env", "constraints", "artifacts", "max_launch_delay_s", "docker", "volumes", "restart", "task_kill_grace_period_s", "timeout_s")
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
    def __init__(self, cpus: _Optional[float] = ..., mem: _Optional[float] = ..., disk: _Optional[float] = ..., cmd: _Optional[str] = ..., args: _Optional[_Union[StringList, _Mapping]] = ..., user: _Optional[str] = ..., env: _Optional[_Iterable[_Union[KeyValue, _Mapping]]] = ..., constraints: _Optional[_Iterable[_Union[Constraint, _Mapping]]] = ..., artifacts: _Optional[_Iterable[_Union[Artifact, _Mapping]]] = ..., max_launch_delay_s: _Optional[int] = ..., docker: _Optional[_Union[Docker, _Mapping]] = ..., volumes: _Optional[_Iterable[_Union[Volume, _Mapping]]] = ..., restart: _Optional[_Union[Restart, _Mapping]] = ..., task_kill_grace_period_s: _Optional[float] = ..., timeout_s: _Optional[int] = ...) -> None: ...

class ScheduleSpec(_message.Message):
    __slots__ = ("id", "cron", "timezone", "starting_deadline_s", "concurrency_policy", "enabled", "catch_up")
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
    def __init__(self, id: _Optional[str] = ..., cron: _Optional[str] = ..., timezone: _Optional[str] = ..., starting_deadline_s: _Optional[int] = ..., concurrency_policy: _Optional[_Union[ScheduleSpec.ConcurrencyPolicy, str]] = ..., enabled: _Optional[bool] = ..., catch_up: _Optional[_Union[ScheduleSpec.CatchUp, str]] = ...) -> None: ...

class JobSpec(_message.Message):
    __slots__ = ("id", "description", "labels", "schedules", "run", "dependencies", "pause_after_failures")
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
    def __init__(self, id: _Optional[str] = ..., description: _Optional[str] = ..., labels: _Optional[_Iterable[_Union[KeyValue, _Mapping]]] = ..., schedules: _Optional[_Iterable[_Union[ScheduleSpec, _Mapping]]] = ..., run: _Optional[_Union[RunSpec, _Mapping]] = ..., dependencies: _Optional[_Iterable[str]] = ..., pause_after_failures: _Optional[int] = ...) -> None: ...

class Task(_message.Message):
    __slots__ = ("id", "status", "started_at_ms", "completed_at_ms", "message", "running_since_ms", "exit_code", "ended_at_ms", "launcher", "launcher_host")
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
        TASK_DROPPED: _ClassVar[Task.Status]
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
    TASK_DROPPED: Task.Status
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RUNNING_SINCE_MS_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    LAUNCHER_FIELD_NUMBER: _ClassVar[int]
    LAUNCHER_HOST_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: Task.Status
    started_at_ms: int
    completed_at_ms: int
    message: str
    running_since_ms: int
    exit_code: int
    ended_at_ms: int
    launcher: str
    launcher_host: str
    def __init__(self, id: _Optional[str] = ..., status: _Optional[_Union[Task.Status, str]] = ..., started_at_ms: _Optional[int] = ..., completed_at_ms: _Optional[int] = ..., message: _Optional[str] = ..., running_since_ms: _Optional[int] = ..., exit_code: _Optional[int] = ..., ended_at_ms: _Optional[int] = ..., launcher: _Optional[str] = ..., launcher_host: _Optional[str] = ...) -> None: ...

class JobRun(_message.Message):
    __slots__ = ("id", "job_id", "status", "created_at_ms", "run_spec", "completed_at_ms", "tasks", "schedule_id", "scheduled_at_ms", "starting_deadline_s", "overrides", "triggered_by", "end", "by_dependencies")
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
    TRIGGERED_BY_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    BY_DEPENDENCIES_FIELD_NUMBER: _ClassVar[int]
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
    triggered_by: str
    end: DetailEnd
    by_dependencies: bool
    def __init__(self, id: _Optional[str] = ..., job_id: _Optional[str] = ..., status: _Optional[_Union[JobRun.Status, str]] = ..., created_at_ms: _Optional[int] = ..., run_spec: _Optional[_Union[RunSpec, _Mapping]] = ..., completed_at_ms: _Optional[int] = ..., tasks: _Optional[_Iterable[_Union[Task, _Mapping]]] = ..., schedule_id: _Optional[str] = ..., scheduled_at_ms: _Optional[int] = ..., starting_deadline_s: _Optional[int] = ..., overrides: _Optional[_Union[OverrideSet, _Mapping]] = ..., triggered_by: _Optional[str] = ..., end: _Optional[_Union[DetailEnd, _Mapping]] = ..., by_dependencies: _Optional[bool] = ...) -> None: ...

class OverrideSet(_message.Message):
    __slots__ = ("env", "cmd", "args")
    ENV_FIELD_NUMBER: _ClassVar[int]
    CMD_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    env: _containers.RepeatedCompositeFieldContainer[KeyValue]
    cmd: str
    args: StringList
    def __init__(self, env: _Optional[_Iterable[_Union[KeyValue, _Mapping]]] = ..., cmd: _Optional[str] = ..., args: _Optional[_Union[StringList, _Mapping]] = ...) -> None: ...

class DetailEnd(_message.Message):
    __slots__ = ("kind", "exit_code", "signal", "message", "by")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[DetailEnd.Kind]
        SUCCEEDED: _ClassVar[DetailEnd.Kind]
        EXITED: _ClassVar[DetailEnd.Kind]
        SIGNALED: _ClassVar[DetailEnd.Kind]
        KILLED: _ClassVar[DetailEnd.Kind]
        LOST: _ClassVar[DetailEnd.Kind]
        FAILED_TO_START: _ClassVar[DetailEnd.Kind]
        STOPPED: _ClassVar[DetailEnd.Kind]
        REPLACED: _ClassVar[DetailEnd.Kind]
        LAUNCH_DEADLINE: _ClassVar[DetailEnd.Kind]
        RESTART_DEADLINE: _ClassVar[DetailEnd.Kind]
        NOT_STORED: _ClassVar[DetailEnd.Kind]
        TIMED_OUT: _ClassVar[DetailEnd.Kind]
        OUTCOME_UNKNOWN: _ClassVar[DetailEnd.Kind]
    KIND_UNSPECIFIED: DetailEnd.Kind
    SUCCEEDED: DetailEnd.Kind
    EXITED: DetailEnd.Kind
    SIGNALED: DetailEnd.Kind
    KILLED: DetailEnd.Kind
    LOST: DetailEnd.Kind
    FAILED_TO_START: DetailEnd.Kind
    STOPPED: DetailEnd.Kind
    REPLACED: DetailEnd.Kind
    LAUNCH_DEADLINE: DetailEnd.Kind
    RESTART_DEADLINE: DetailEnd.Kind
    NOT_STORED: DetailEnd.Kind
    TIMED_OUT: DetailEnd.Kind
    OUTCOME_UNKNOWN: DetailEnd.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    BY_FIELD_NUMBER: _ClassVar[int]
    kind: DetailEnd.Kind
    exit_code: int
    signal: int
    message: str
    by: str
    def __init__(self, kind: _Optional[_Union[DetailEnd.Kind, str]] = ..., exit_code: _Optional[int] = ..., signal: _Optional[int] = ..., message: _Optional[str] = ..., by: _Optional[str] = ...) -> None: ...

class DetailRun(_message.Message):
    __slots__ = ("end", "tasks", "schedule_id", "scheduled_at_ms", "triggered_by", "overrides", "by_dependencies")
    END_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    TRIGGERED_BY_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    BY_DEPENDENCIES_FIELD_NUMBER: _ClassVar[int]
    end: DetailEnd
    tasks: _containers.RepeatedCompositeFieldContainer[Task]
    schedule_id: str
    scheduled_at_ms: int
    triggered_by: str
    overrides: OverrideSet
    by_dependencies: bool
    def __init__(self, end: _Optional[_Union[DetailEnd, _Mapping]] = ..., tasks: _Optional[_Iterable[_Union[Task, _Mapping]]] = ..., schedule_id: _Optional[str] = ..., scheduled_at_ms: _Optional[int] = ..., triggered_by: _Optional[str] = ..., overrides: _Optional[_Union[OverrideSet, _Mapping]] = ..., by_dependencies: _Optional[bool] = ...) -> None: ...

class RunInfo(_message.Message):
    __slots__ = ("id", "created_at_ms", "finished_at_ms", "tasks", "details")
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    id: str
    created_at_ms: int
    finished_at_ms: int
    tasks: _containers.RepeatedScalarFieldContainer[str]
    details: DetailRun
    def __init__(self, id: _Optional[str] = ..., created_at_ms: _Optional[int] = ..., finished_at_ms: _Optional[int] = ..., tasks: _Optional[_Iterable[str]] = ..., details: _Optional[_Union[DetailRun, _Mapping]] = ...) -> None: ...

class RunInfoPage(_message.Message):
    __slots__ = ("runs",)
    RUNS_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[RunInfo]
    def __init__(self, runs: _Optional[_Iterable[_Union[RunInfo, _Mapping]]] = ...) -> None: ...

class JobHistory(_message.Message):
    __slots__ = ("job_id", "success_count", "failure_count", "last_success_at_ms", "last_failure_at_ms", "skipped_count", "missed_count", "successful_pages", "failed_pages", "schedule_marks", "dependency_marks", "consecutive_failures", "pause", "paused_count", "slot_logs", "backfills")
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
    def __init__(self, job_id: _Optional[str] = ..., success_count: _Optional[int] = ..., failure_count: _Optional[int] = ..., last_success_at_ms: _Optional[int] = ..., last_failure_at_ms: _Optional[int] = ..., skipped_count: _Optional[int] = ..., missed_count: _Optional[int] = ..., successful_pages: _Optional[_Iterable[str]] = ..., failed_pages: _Optional[_Iterable[str]] = ..., schedule_marks: _Optional[_Iterable[_Union[ScheduleMark, _Mapping]]] = ..., dependency_marks: _Optional[_Iterable[_Union[DepMark, _Mapping]]] = ..., consecutive_failures: _Optional[int] = ..., pause: _Optional[_Union[Pause, _Mapping]] = ..., paused_count: _Optional[int] = ..., slot_logs: _Optional[_Iterable[_Union[SlotLog, _Mapping]]] = ..., backfills: _Optional[_Iterable[_Union[ScheduleMark, _Mapping]]] = ...) -> None: ...

class SlotLog(_message.Message):
    __slots__ = ("schedule_id", "since_ms", "ranges")
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_MS_FIELD_NUMBER: _ClassVar[int]
    RANGES_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    since_ms: int
    ranges: _containers.RepeatedCompositeFieldContainer[SlotRange]
    def __init__(self, schedule_id: _Optional[str] = ..., since_ms: _Optional[int] = ..., ranges: _Optional[_Iterable[_Union[SlotRange, _Mapping]]] = ...) -> None: ...

class SlotRange(_message.Message):
    __slots__ = ("first_ms", "last_ms", "outcome", "count")
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
    def __init__(self, first_ms: _Optional[int] = ..., last_ms: _Optional[int] = ..., outcome: _Optional[_Union[SlotRange.Outcome, str]] = ..., count: _Optional[int] = ...) -> None: ...

class Pause(_message.Message):
    __slots__ = ("since_ms", "by", "reason", "until_ms", "automatic")
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
    def __init__(self, since_ms: _Optional[int] = ..., by: _Optional[str] = ..., reason: _Optional[str] = ..., until_ms: _Optional[int] = ..., automatic: _Optional[bool] = ...) -> None: ...

class DepMark(_message.Message):
    __slots__ = ("job_id", "at_ms")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    AT_MS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    at_ms: int
    def __init__(self, job_id: _Optional[str] = ..., at_ms: _Optional[int] = ...) -> None: ...

class ScheduleMark(_message.Message):
    __slots__ = ("schedule_id", "at_ms")
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    AT_MS_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    at_ms: int
    def __init__(self, schedule_id: _Optional[str] = ..., at_ms: _Optional[int] = ...) -> None: ...
