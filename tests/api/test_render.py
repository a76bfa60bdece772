"""JSON rendering: exact shapes, key order, number and timestamp forms, and the round trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from metronome.api._render import (
    format_timestamp,
    render_history,
    render_history_summary,
    render_job,
    render_run,
    render_schedule,
)
from metronome.api._schemas import parse_job
from metronome.model import (
    Artifact,
    ConcurrencyPolicy,
    Constraint,
    ConstraintOperator,
    Docker,
    DockerParameter,
    JobHistory,
    JobId,
    JobRun,
    JobSpec,
    Restart,
    RestartPolicy,
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

NOW = datetime(2017, 10, 2, 10, 0, 30, 123456, tzinfo=UTC)  # a Monday
T1 = datetime(2016, 7, 15, 13, 2, 59, 735000, tzinfo=UTC)
T2 = datetime(2016, 7, 15, 13, 5, 0, tzinfo=UTC)

MINIMAL = JobSpec(id=JobId("my-job"), run=RunSpec(cpus=0.01, mem=32.0, disk=0.0, cmd="sleep 60"))

RICH = JobSpec(
    id=JobId("prod.example.app"),
    description="Example Application",
    labels={"location": "olympus", "owner": "zeus"},
    run=RunSpec(
        cpus=1.5,
        mem=32.0,
        disk=128.0,
        cmd="nuke --dry --master local",
        user="root",
        env={"MON": "test", "CONNECT": "direct"},
        constraints=(
            Constraint("rack", ConstraintOperator.IS, "rack-2"),
            Constraint("host", ConstraintOperator.UNLIKE),
        ),
        artifacts=(Artifact("http://foo.example.com/application.zip", True, True, False),),
        max_launch_delay_s=60,
        docker=Docker("foo/bla:test", True, True, (DockerParameter("label", "a=b"),)),
        volumes=(Volume("/mnt/test", "/etc/guest", VolumeMode.RW),),
        restart=Restart(RestartPolicy.ON_FAILURE, 120),
        task_kill_grace_period_s=2.5,
    ),
    schedules=(
        ScheduleSpec(ScheduleId("nightly"), "20 0 * * *", "Europe/Rome", 60),
        ScheduleSpec(
            ScheduleId("off"),
            "* * * * *",
            concurrency_policy=ConcurrencyPolicy.FORBID,
            enabled=False,
        ),
    ),
)


def test_format_timestamp_is_utc_with_milliseconds() -> None:
    assert format_timestamp(T1) == "2016-07-15T13:02:59.735+0000"
    assert format_timestamp(NOW) == "2017-10-02T10:00:30.123+0000"
    plus_two = datetime(2016, 7, 15, 15, 2, 59, 735999, tzinfo=timezone(timedelta(hours=2)))
    assert format_timestamp(plus_two) == "2016-07-15T13:02:59.735+0000"


def test_minimal_job_renders_like_metronome() -> None:
    rendered = render_job(MINIMAL, with_schedules=False, now=NOW)

    assert json.dumps(rendered) == json.dumps(
        {
            "id": "my-job",
            "labels": {},
            "run": {
                "cpus": 0.01,
                "mem": 32,
                "disk": 0,
                "cmd": "sleep 60",
                "env": {},
                "placement": {"constraints": []},
                "artifacts": [],
                "maxLaunchDelay": 3600,
                "volumes": [],
                "restart": {"policy": "NEVER"},
            },
        }
    )


def test_rich_job_renders_every_field_in_order() -> None:
    rendered = render_job(RICH, with_schedules=True, now=NOW)

    assert json.dumps(rendered) == json.dumps(
        {
            "id": "prod.example.app",
            "description": "Example Application",
            "labels": {"location": "olympus", "owner": "zeus"},
            "run": {
                "cpus": 1.5,
                "mem": 32,
                "disk": 128,
                "cmd": "nuke --dry --master local",
                "user": "root",
                "env": {"MON": "test", "CONNECT": "direct"},
                "placement": {
                    "constraints": [
                        {"attribute": "rack", "operator": "IS", "value": "rack-2"},
                        {"attribute": "host", "operator": "UNLIKE"},
                    ]
                },
                "artifacts": [
                    {
                        "uri": "http://foo.example.com/application.zip",
                        "extract": True,
                        "executable": True,
                        "cache": False,
                    }
                ],
                "maxLaunchDelay": 60,
                "docker": {
                    "image": "foo/bla:test",
                    "forcePullImage": True,
                    "privileged": True,
                    "parameters": [{"key": "label", "value": "a=b"}],
                },
                "volumes": [{"containerPath": "/mnt/test", "hostPath": "/etc/guest", "mode": "RW"}],
                "restart": {"policy": "ON_FAILURE", "activeDeadlineSeconds": 120},
                "taskKillGracePeriodSeconds": 2.5,
            },
            "schedules": [
                {
                    "id": "nightly",
                    "cron": "20 0 * * *",
                    "timezone": "Europe/Rome",
                    "startingDeadlineSeconds": 60,
                    "concurrencyPolicy": "ALLOW",
                    "enabled": True,
                    "nextRunAt": "2017-10-02T22:20:00.000+0000",  # 00:20 CEST
                },
                {
                    "id": "off",
                    "cron": "* * * * *",
                    "timezone": "UTC",
                    "startingDeadlineSeconds": 900,
                    "concurrencyPolicy": "FORBID",
                    "enabled": False,
                },
            ],
        }
    )


def test_args_render_as_a_list_and_docker_defaults_are_left_out() -> None:
    spec = JobSpec(
        id=JobId("a"),
        run=RunSpec(cpus=1.0, mem=64.5, disk=0.0, args=("echo", "hi"), docker=Docker("busybox")),
    )
    run = render_job(spec, with_schedules=False, now=NOW)["run"]

    assert run["args"] == ["echo", "hi"]
    assert "cmd" not in run
    assert run["docker"] == {"image": "busybox"}
    assert (run["cpus"], type(run["cpus"]), run["mem"]) == (1, int, 64.5)


def test_render_schedule_next_run_at_follows_now_and_zone() -> None:
    every_minute = ScheduleSpec(ScheduleId("every"), "* * * * *")
    chicago = ScheduleSpec(ScheduleId("nine"), "0 9 * * *", timezone="America/Chicago")

    assert render_schedule(every_minute, NOW)["nextRunAt"] == "2017-10-02T10:01:00.000+0000"
    assert render_schedule(chicago, NOW)["nextRunAt"] == "2017-10-02T14:00:00.000+0000"  # CDT


def test_render_run_while_active() -> None:
    run = JobRun(
        id=RunId("20160715130259A34HX"),
        job_id=JobId("prod.example.app"),
        status=RunStatus.ACTIVE,
        created_at=T1,
        run_spec=MINIMAL.run,
        tasks=(Task("task-1", TaskStatus.TASK_RUNNING, T2),),
    )

    assert json.dumps(render_run(run)) == json.dumps(
        {
            "id": "20160715130259A34HX",
            "jobId": "prod.example.app",
            "status": "ACTIVE",
            "createdAt": "2016-07-15T13:02:59.735+0000",
            "completedAt": None,
            "tasks": [
                {
                    "id": "task-1",
                    "status": "TASK_RUNNING",
                    "startedAt": "2016-07-15T13:05:00.000+0000",
                }
            ],
        }
    )


def test_render_run_when_finished() -> None:
    run = JobRun(
        id=RunId("r1"),
        job_id=JobId("a"),
        status=RunStatus.SUCCESS,
        created_at=T1,
        run_spec=MINIMAL.run,
        completed_at=T2,
        tasks=(Task("t", TaskStatus.TASK_FINISHED, T1, completed_at=T2),),
    )
    rendered = render_run(run)

    assert rendered["completedAt"] == "2016-07-15T13:05:00.000+0000"
    assert rendered["tasks"][0]["completedAt"] == "2016-07-15T13:05:00.000+0000"
    assert list(rendered["tasks"][0]) == ["id", "status", "startedAt", "completedAt"]


def test_render_history() -> None:
    history = JobHistory(
        job_id=JobId("a"),
        success_count=3,
        failure_count=1,
        last_success_at=T2,
        successful_runs=(RunInfo(RunId("r2"), T1, T2, ("t2",)),),
        failed_runs=(RunInfo(RunId("r1"), T1, T1),),
        skipped_count=2,
        missed_count=5,
    )

    assert json.dumps(render_history(history)) == json.dumps(
        {
            "successCount": 3,
            "failureCount": 1,
            "lastSuccessAt": "2016-07-15T13:05:00.000+0000",
            "lastFailureAt": None,
            "skippedCount": 2,
            "missedCount": 5,
            "successfulFinishedRuns": [
                {
                    "id": "r2",
                    "createdAt": "2016-07-15T13:02:59.735+0000",
                    "finishedAt": "2016-07-15T13:05:00.000+0000",
                    "tasks": ["t2"],
                }
            ],
            "failedFinishedRuns": [
                {
                    "id": "r1",
                    "createdAt": "2016-07-15T13:02:59.735+0000",
                    "finishedAt": "2016-07-15T13:02:59.735+0000",
                    "tasks": [],
                }
            ],
        }
    )


def test_render_history_summary_of_empty_history() -> None:
    assert json.dumps(render_history_summary(JobHistory(job_id=JobId("a")))) == json.dumps(
        {
            "successCount": 0,
            "failureCount": 0,
            "lastSuccessAt": None,
            "lastFailureAt": None,
            "skippedCount": 0,
            "missedCount": 0,
        }
    )


def test_rendered_values_are_plain_json_types() -> None:
    rendered = render_job(RICH, with_schedules=True, now=NOW)
    assert type(rendered["run"]["restart"]["policy"]) is str
    assert type(rendered["run"]["placement"]["constraints"][0]["operator"]) is str
    assert type(rendered["schedules"][0]["concurrencyPolicy"]) is str


def test_round_trip_through_json() -> None:
    for spec in (MINIMAL, RICH):
        rendered = json.loads(json.dumps(render_job(spec, with_schedules=True, now=NOW)))
        assert parse_job(rendered) == spec
