"""Request validation: every rule of the job and schedule bodies, and hostile inputs."""

from __future__ import annotations

import time
from typing import Any

import pytest

from metronome.api._schemas import ValidationFailed, flatten, parse_job, parse_schedule
from metronome.api._schemas_fields import MAX_INTEGER, MAX_ITEM_ERRORS
from metronome.model import (
    Artifact,
    ConcurrencyPolicy,
    Constraint,
    ConstraintOperator,
    Docker,
    DockerParameter,
    JobSpec,
    Restart,
    RestartPolicy,
    RunSpec,
    ScheduleSpec,
    Volume,
    VolumeMode,
)

ADDITIONAL = "Additional properties are not allowed."
MISSING = "Property missing."


def job(schedules: list[Any] | None = None, **run: Any) -> dict[str, Any]:
    """A minimal valid job body; `run` keys override or extend its run spec."""
    body: dict[str, Any] = {
        "id": "prod.example",
        "run": {"cmd": "sleep 1", "cpus": 0.5, "mem": 64, "disk": 0, **run},
    }
    if schedules is not None:
        body["schedules"] = schedules
    return body


def errors(body: object, *, v0: bool = False) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        parse_job(body, v0=v0)
    return {d["path"]: d["errors"] for d in caught.value.details}


def schedule_errors(body: object) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        parse_schedule(body)
    return {d["path"]: d["errors"] for d in caught.value.details}


# --- whole bodies ----------------------------------------------------------------------------


def test_minimal_job_gets_model_defaults() -> None:
    spec = parse_job(job())

    assert spec == JobSpec(id="prod.example", run=RunSpec(cpus=0.5, mem=64, disk=0, cmd="sleep 1"))
    assert spec.run.max_launch_delay_s == 3600
    assert spec.run.restart == Restart(RestartPolicy.NEVER)


def test_rich_job_is_read_into_the_model() -> None:
    body = {
        "id": "prod.example.app",
        "description": "Example",
        "labels": {"owner": "zeus"},
        "run": {
            "cmd": "nuke --dry",
            "cpus": 1.5,
            "mem": 32,
            "disk": 128,
            "user": "root",
            "env": {"MON": "test"},
            "placement": {"constraints": [{"attribute": "rack", "operator": "EQ", "value": "r2"}]},
            "artifacts": [{"uri": "http://a/b.zip", "extract": False, "executable": True}],
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
        "schedules": [{"id": "nightly", "cron": "20 0 * * *", "timezone": "Europe/Rome"}],
    }

    assert parse_job(body) == JobSpec(
        id="prod.example.app",
        description="Example",
        labels={"owner": "zeus"},
        run=RunSpec(
            cpus=1.5,
            mem=32,
            disk=128,
            cmd="nuke --dry",
            user="root",
            env={"MON": "test"},
            constraints=(Constraint("rack", ConstraintOperator.IS, "r2"),),
            artifacts=(Artifact("http://a/b.zip", extract=False, executable=True),),
            max_launch_delay_s=60,
            docker=Docker("foo/bla:test", True, True, (DockerParameter("label", "a=b"),)),
            volumes=(Volume("/mnt/test", "/etc/guest", VolumeMode.RW),),
            restart=Restart(RestartPolicy.ON_FAILURE, 120),
            task_kill_grace_period_s=2.5,
        ),
        schedules=(ScheduleSpec("nightly", "20 0 * * *", timezone="Europe/Rome"),),
    )


def test_every_wrong_field_is_reported_at_once() -> None:
    body = job(mem=16, cpus="1", disk=-1, user=3)
    body["labels"] = {"a": 1}
    body["extra"] = True

    assert errors(body) == {
        "/run/mem": ["16 is smaller than required minimum value of 32."],
        "/run/cpus": ["Wrong type. Expected number, was string."],
        "/run/disk": ["-1 is smaller than required minimum value of 0."],
        "/run/user": ["Wrong type. Expected string, was number."],
        "/labels/a": ["Wrong type. Expected string, was number."],
        "/extra": [ADDITIONAL],
    }


@pytest.mark.parametrize("body", [[], "job", None, 3, True])
def test_body_must_be_an_object(body: object) -> None:
    assert set(errors(body)) == {"/"}
    assert set(schedule_errors(body)) == {"/"}


def test_validation_failed_carries_metronome_message() -> None:
    with pytest.raises(ValidationFailed, match="Object is not valid"):
        parse_job([])


# --- additionalProperties: false ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({**job(), "activeRuns": []}, "/activeRuns"),
        (job(gpu=1), "/run/gpu"),
        (job(placement={"constraints": [], "x": 1}), "/run/placement/x"),
        (
            job(placement={"constraints": [{"attribute": "a", "operator": "IS", "x": 1}]}),
            "/run/placement/constraints(0)/x",
        ),
        (job(artifacts=[{"uri": "u", "x": 1}]), "/run/artifacts(0)/x"),
        (job(docker={"image": "i", "x": 1}), "/run/docker/x"),
        (
            job(docker={"image": "i", "parameters": [{"key": "k", "value": "v", "x": 1}]}),
            "/run/docker/parameters(0)/x",
        ),
        (
            job(volumes=[{"containerPath": "/a", "hostPath": "/b", "mode": "RO", "x": 1}]),
            "/run/volumes(0)/x",
        ),
        (job(restart={"policy": "NEVER", "x": 1}), "/run/restart/x"),
        (job([{"id": "s", "cron": "* * * * *", "x": 1}]), "/schedules(0)/x"),
    ],
)
def test_unknown_property_is_an_error_at_its_path(body: dict[str, Any], path: str) -> None:
    assert errors(body) == {path: [ADDITIONAL]}


@pytest.mark.parametrize(
    ("body", "path", "what"),
    [
        (job(gpus=1), "/run/gpus", "'gpus' (GPU resources)"),
        (job(gpus=0), "/run/gpus", "'gpus' (GPU resources)"),
        (job(ucr={"image": {"id": "i"}}), "/run/ucr", "'ucr' (the Universal Container Runtime)"),
        (job(secrets={"s": {"source": "x"}}), "/run/secrets", "'secrets' (secrets)"),
        (job(networks=[{"mode": "host"}]), "/run/networks", "'networks' (container networks)"),
        (job(env={"A": {"secret": "s"}}), "/run/env/A", 'A secret reference ({"secret": ...})'),
        (
            job(volumes=[{"containerPath": "/a", "hostPath": "/b", "mode": "RO", "secret": "s"}]),
            "/run/volumes(0)/secret",
            "'secret' (a file-based secret)",
        ),
    ],
)
def test_fields_of_later_versions_are_not_supported_by_this_server(
    body: dict[str, Any], path: str, what: str
) -> None:
    assert errors(body) == {path: [f"{what} is not supported by this server."]}


def test_not_supported_fields_are_reported_with_the_other_errors() -> None:
    found = errors(job(gpus=1, cpus=0, networks=[], nope=1))
    assert found["/run/gpus"] == ["'gpus' (GPU resources) is not supported by this server."]
    assert found["/run/nope"] == [ADDITIONAL]
    assert set(found) == {"/run/gpus", "/run/cpus", "/run/networks", "/run/nope"}


# --- id, description, labels ------------------------------------------------------------------


@pytest.mark.parametrize(
    "job_id", ["a", "a-a", "a--a", "a-a.a-a", "a.a.a", "a1234567890-a1234567890.a1234567890-a.a"]
)
def test_valid_job_ids(job_id: str) -> None:
    assert parse_job({**job(), "id": job_id}).id == job_id


@pytest.mark.parametrize(
    "job_id",
    ["", "a-", "a.", "a1.a-", "-a", ".a", "a1-.a", "a?.a", "a.a?a", "A", "a/b", "a_b", "a..b"],
)
def test_invalid_job_ids(job_id: str) -> None:
    [message] = errors({**job(), "id": job_id})["/id"]
    assert message.startswith(f"'{job_id}' does not match pattern '^")


def test_overlong_job_id_names_the_limit() -> None:
    assert errors({**job(), "id": "a" * 256}) == {
        "/id": [f"'{'a' * 80}...' is longer than maximum length of 255."]
    }


def test_id_and_run_are_required() -> None:
    assert errors({}) == {"/id": [MISSING], "/run": [MISSING]}


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("id", 5, "Wrong type. Expected string, was number."),
        ("description", ["x"], "Wrong type. Expected string, was array."),
        ("labels", ["x"], "Wrong type. Expected object, was array."),
        ("run", "sleep", "Wrong type. Expected object, was string."),
        ("run", None, "Wrong type. Expected object, was null."),
        ("schedules", {}, "Wrong type. Expected array, was object."),
    ],
)
def test_top_level_types(key: str, value: object, expected: str) -> None:
    assert errors({**job(), key: value}) == {f"/{key}": [expected]}


def test_description_and_labels_are_read() -> None:
    spec = parse_job({**job(), "description": "d", "labels": {"a": "b", "c": ""}})
    assert (spec.description, spec.labels) == ("d", {"a": "b", "c": ""})


# --- run: resources and command ---------------------------------------------------------------


@pytest.mark.parametrize("key", ["cpus", "mem", "disk"])
def test_resources_are_required(key: str) -> None:
    body = job()
    del body["run"][key]
    assert errors(body) == {f"/run/{key}": [MISSING]}


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("cpus", 0.001, "0.001 is smaller than required minimum value of 0.01."),
        ("cpus", 0, "0 is smaller than required minimum value of 0.01."),
        ("mem", 16, "16 is smaller than required minimum value of 32."),
        ("mem", 31.5, "31.5 is smaller than required minimum value of 32."),
        ("disk", -0.5, "-0.5 is smaller than required minimum value of 0."),
    ],
)
def test_resource_minimums(key: str, value: float, expected: str) -> None:
    assert errors(job(**{key: value})) == {f"/run/{key}": [expected]}


def test_resource_minimums_are_inclusive() -> None:
    run = parse_job(job(cpus=0.01, mem=32, disk=0)).run
    assert (run.cpus, run.mem, run.disk) == (0.01, 32.0, 0.0)
    assert isinstance(run.mem, float)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "Wrong type. Expected number, was boolean."),
        ("64", "Wrong type. Expected number, was string."),
        (None, "Wrong type. Expected number, was null."),
        ({"a": 1}, "Wrong type. Expected number, was object."),
        (float("inf"), "Number inf is out of range."),
        (float("nan"), "Number nan is out of range."),
        pytest.param(10**400, f"Number {'1' + '0' * 79}... is out of range.", id="400-digits"),
    ],
)
def test_numbers_must_be_finite_json_numbers(value: object, expected: str) -> None:
    assert errors(job(mem=value)) == {"/run/mem": [expected]}


def test_cmd_must_not_be_empty() -> None:
    assert errors(job(cmd="")) == {"/run/cmd": ["'' is shorter than minimum length of 1."]}


def test_args_alone_is_something_to_run() -> None:
    body = job(args=["echo", "hi"])
    del body["run"]["cmd"]
    assert parse_job(body).run.args == ("echo", "hi")


def test_docker_image_alone_is_something_to_run() -> None:
    body = job(docker={"image": "busybox"})
    del body["run"]["cmd"]
    assert parse_job(body).run.docker == Docker("busybox")


@pytest.mark.parametrize("extra", [{}, {"args": []}, {"docker": {"forcePullImage": True}}])
def test_something_must_be_run(extra: dict[str, Any]) -> None:
    body = job(**extra)
    del body["run"]["cmd"]
    found = errors(body)
    assert found.pop("/run") == ["Cmd, Args or Docker image must be specified"]
    assert set(found) <= {"/run/docker/image"}


def test_cmd_and_args_together_are_rejected() -> None:
    assert errors(job(args=["x"])) == {
        "/run": ["It is invalid to supply both cmd and args in the same job."]
    }


def test_args_items_must_be_strings() -> None:
    body = job(args=["ok", 1, None])
    del body["run"]["cmd"]
    assert errors(body) == {
        "/run/args(1)": ["Wrong type. Expected string, was number."],
        "/run/args(2)": ["Wrong type. Expected string, was null."],
    }


def test_user_and_env() -> None:
    run = parse_job(job(user="nobody", env={"A": "1"})).run
    assert (run.user, run.env) == ("nobody", {"A": "1"})
    assert errors(job(env={"A": {"value": "s"}, "B": "ok"})) == {
        "/run/env/A": ["Wrong type. Expected string, was object."]
    }


# --- run: placement, artifacts, docker, volumes, restart ---------------------------------------


@pytest.mark.parametrize(
    ("operator", "stored"),
    [
        ("EQ", ConstraintOperator.IS),
        ("IS", ConstraintOperator.IS),
        ("LIKE", ConstraintOperator.LIKE),
        ("UNLIKE", ConstraintOperator.UNLIKE),
    ],
)
def test_constraint_operators(operator: str, stored: ConstraintOperator) -> None:
    placement = {"constraints": [{"attribute": "rack", "operator": operator, "value": "r.*"}]}
    assert parse_job(job(placement=placement)).run.constraints == (
        Constraint("rack", stored, "r.*"),
    )


def test_constraint_value_is_optional() -> None:
    placement = {"constraints": [{"attribute": "rack", "operator": "LIKE"}]}
    assert parse_job(job(placement=placement)).run.constraints == (
        Constraint("rack", ConstraintOperator.LIKE),
    )


def test_constraint_fields() -> None:
    placement = {"constraints": [{}, {"attribute": 1, "operator": "UNIQUE", "value": 2}]}
    assert errors(job(placement=placement)) == {
        "/run/placement/constraints(0)/attribute": [MISSING],
        "/run/placement/constraints(0)/operator": [MISSING],
        "/run/placement/constraints(1)/attribute": ["Wrong type. Expected string, was number."],
        "/run/placement/constraints(1)/operator": ["'UNIQUE' is not one of EQ, IS, LIKE, UNLIKE."],
        "/run/placement/constraints(1)/value": ["Wrong type. Expected string, was number."],
    }


@pytest.mark.parametrize("operator", ["LIKE", "UNLIKE"])
def test_regex_operators_need_a_valid_regex(operator: str) -> None:
    placement = {"constraints": [{"attribute": "a", "operator": operator, "value": "rack-("}]}
    [message] = errors(job(placement=placement))["/run/placement/constraints(0)/value"]
    assert message.startswith(f"'rack-(' is not a valid regular expression for {operator}: ")


def test_is_operator_takes_any_value() -> None:
    placement = {"constraints": [{"attribute": "a", "operator": "IS", "value": "rack-("}]}
    assert parse_job(job(placement=placement)).run.constraints[0].value == "rack-("


@pytest.mark.parametrize("value", ["(" * 50_000, "a{99999999999}"])
def test_hostile_regexes_are_rejected_not_raised(value: str) -> None:
    placement = {"constraints": [{"attribute": "a", "operator": "LIKE", "value": value}]}
    assert set(errors(job(placement=placement))) == {"/run/placement/constraints(0)/value"}


def test_placement_constraints_must_be_an_array() -> None:
    assert errors(job(placement={"constraints": {}})) == {
        "/run/placement/constraints": ["Wrong type. Expected array, was object."]
    }


def test_artifacts_defaults_and_fields() -> None:
    assert parse_job(job(artifacts=[{"uri": "u"}])).run.artifacts == (
        Artifact("u", extract=True, executable=False, cache=False),
    )
    assert errors(job(artifacts=[{"extract": 1, "executable": "yes", "cache": None}])) == {
        "/run/artifacts(0)/uri": [MISSING],
        "/run/artifacts(0)/extract": ["Wrong type. Expected boolean, was number."],
        "/run/artifacts(0)/executable": ["Wrong type. Expected boolean, was string."],
        "/run/artifacts(0)/cache": ["Wrong type. Expected boolean, was null."],
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0 is smaller than required minimum value of 1."),
        (1.5, "Wrong type. Expected integer, was number."),
        (True, "Wrong type. Expected integer, was boolean."),
        ("60", "Wrong type. Expected integer, was string."),
        (2**31, "2147483648 is greater than allowed maximum value of 2147483647."),
        pytest.param(
            10**400,
            f"{'1' + '0' * 79}... is greater than allowed maximum value of {MAX_INTEGER}.",
            id="400-digits",
        ),
    ],
)
def test_max_launch_delay_is_a_positive_integer(value: object, expected: str) -> None:
    assert errors(job(maxLaunchDelay=value)) == {"/run/maxLaunchDelay": [expected]}


def test_whole_float_is_accepted_as_integer() -> None:
    delay = parse_job(job(maxLaunchDelay=2.0)).run.max_launch_delay_s
    assert (delay, type(delay)) == (2, int)


def test_docker_fields() -> None:
    docker = {"image": "", "forcePullImage": "no", "privileged": 0, "parameters": [{"key": 1}]}
    assert errors(job(docker=docker)) == {
        "/run/docker/image": ["'' is shorter than minimum length of 1."],
        "/run/docker/forcePullImage": ["Wrong type. Expected boolean, was string."],
        "/run/docker/privileged": ["Wrong type. Expected boolean, was number."],
        "/run/docker/parameters(0)/key": ["Wrong type. Expected string, was number."],
        "/run/docker/parameters(0)/value": [MISSING],
    }
    assert errors(job(docker={})) == {"/run/docker/image": [MISSING]}


@pytest.mark.parametrize(
    ("volume", "path", "expected"),
    [
        (
            {"containerPath": "//x", "hostPath": "/h", "mode": "RO"},
            "containerPath",
            "'//x' does not match pattern '^/[^/].*$'.",
        ),
        (
            {"containerPath": "rel", "hostPath": "/h", "mode": "RO"},
            "containerPath",
            "'rel' does not match pattern '^/[^/].*$'.",
        ),
        (
            {"containerPath": "/", "hostPath": "/h", "mode": "RO"},
            "containerPath",
            "'/' does not match pattern '^/[^/].*$'.",
        ),
        ({"hostPath": "/h", "mode": "RO"}, "containerPath", MISSING),
        (
            {"containerPath": "/c", "hostPath": "", "mode": "RO"},
            "hostPath",
            "'' is shorter than minimum length of 1.",
        ),
        ({"containerPath": "/c", "mode": "RO"}, "hostPath", MISSING),
        (
            {"containerPath": "/c", "hostPath": "/h", "mode": "rw"},
            "mode",
            "'rw' is not one of RO, RW.",
        ),
        ({"containerPath": "/c", "hostPath": "/h"}, "mode", MISSING),
    ],
)
def test_volume_rules(volume: dict[str, str], path: str, expected: str) -> None:
    assert errors(job(volumes=[volume])) == {f"/run/volumes(0)/{path}": [expected]}


def test_volume_is_read() -> None:
    volume = {"containerPath": "/c", "hostPath": "/h", "mode": "RO"}
    assert parse_job(job(volumes=[volume])).run.volumes == (Volume("/c", "/h", VolumeMode.RO),)


def test_restart_rules() -> None:
    assert parse_job(job(restart={"policy": "ON_FAILURE"})).run.restart == Restart(
        RestartPolicy.ON_FAILURE
    )
    assert errors(job(restart={"activeDeadlineSeconds": -1})) == {
        "/run/restart/policy": [MISSING],
        "/run/restart/activeDeadlineSeconds": ["-1 is smaller than required minimum value of 0."],
    }
    assert errors(job(restart={"policy": "ALWAYS"})) == {
        "/run/restart/policy": ["'ALWAYS' is not one of NEVER, ON_FAILURE."]
    }


def test_task_kill_grace_period() -> None:
    assert parse_job(job(taskKillGracePeriodSeconds=0)).run.task_kill_grace_period_s == 0
    assert errors(job(taskKillGracePeriodSeconds=-1)) == {
        "/run/taskKillGracePeriodSeconds": ["-1 is smaller than required minimum value of 0."]
    }


def test_v0_has_no_task_kill_grace_period() -> None:
    assert errors(job(taskKillGracePeriodSeconds=5), v0=True) == {
        "/run/taskKillGracePeriodSeconds": [ADDITIONAL]
    }


def test_v0_reads_jobs_with_schedules() -> None:
    spec = parse_job(job([{"id": "s", "cron": "* * * * *"}]), v0=True)
    assert spec.schedules == (ScheduleSpec("s", "* * * * *"),)


# --- schedules inside a job -------------------------------------------------------------------


@pytest.mark.parametrize("schedule_id", ["a", "nightly.backup"])
def test_inline_schedule_id_uses_the_job_id_pattern(schedule_id: str) -> None:
    spec = parse_job(job([{"id": schedule_id, "cron": "0 0 * * *"}]))
    assert spec.schedules[0].id == schedule_id


def test_inline_schedule_tolerates_next_run_at() -> None:
    body = job([{"id": "s", "cron": "0 0 * * *", "nextRunAt": "2016-07-15T13:03:00.000+0000"}])
    assert parse_job(body).schedules == (ScheduleSpec("s", "0 0 * * *"),)


def test_inline_schedule_errors_are_indexed() -> None:
    body = job([{"id": "ok", "cron": "* * * * *"}, {"id": "Bad", "cron": "nope"}])
    found = errors(body)
    assert set(found) == {"/schedules(1)/id", "/schedules(1)/cron"}
    assert found["/schedules(1)/cron"][0].startswith('Invalid cron expression "nope": ')


def test_duplicate_schedule_ids() -> None:
    body = job([{"id": "s", "cron": "* * * * *"}, {"id": "s", "cron": "0 * * * *"}])
    assert errors(body) == {"/schedules": ["Schedule ids must be unique, but found repeated 's'."]}


# --- standalone schedules ---------------------------------------------------------------------


def test_schedule_defaults() -> None:
    assert parse_schedule({"id": "every-minute", "cron": "* * * * *"}) == ScheduleSpec(
        "every-minute",
        "* * * * *",
        timezone="UTC",
        starting_deadline_s=900,
        concurrency_policy=ConcurrencyPolicy.ALLOW,
        enabled=True,
    )


def test_schedule_fields_are_read() -> None:
    body = {
        "id": "everyminute",
        "cron": "*/5 * * * *",
        "timezone": "America/Chicago",
        "startingDeadlineSeconds": 60,
        "concurrencyPolicy": "FORBID",
        "enabled": False,
    }
    assert parse_schedule(body) == ScheduleSpec(
        "everyminute", "*/5 * * * *", "America/Chicago", 60, ConcurrencyPolicy.FORBID, False
    )


@pytest.mark.parametrize("policy", list(ConcurrencyPolicy))
def test_concurrency_policies(policy: ConcurrencyPolicy) -> None:
    body = {"id": "ab", "cron": "* * * * *", "concurrencyPolicy": policy.value}
    assert parse_schedule(body).concurrency_policy is policy


@pytest.mark.parametrize("schedule_id", ["a", "a.b", "-ab", "ab-", "AB"])
def test_standalone_schedule_id_pattern(schedule_id: str) -> None:
    [message] = schedule_errors({"id": schedule_id, "cron": "* * * * *"})["/id"]
    assert message.startswith(f"'{schedule_id}' does not match pattern '^")


def test_schedule_required_fields() -> None:
    assert schedule_errors({}) == {"/id": [MISSING], "/cron": [MISSING]}


@pytest.mark.parametrize("cron", ["wrong cron", "* * * * * * *", "0 0 31 2 *", "x" * 10_000])
def test_cron_must_parse(cron: str) -> None:
    [message] = schedule_errors({"id": "ab", "cron": cron})["/cron"]
    assert message.startswith("Invalid cron expression")
    assert len(message) < 500


def test_timezone_must_be_an_iana_zone() -> None:
    assert schedule_errors({"id": "ab", "cron": "* * * * *", "timezone": "Mars/Base"}) == {
        "/timezone": ['No time zone found with this id: "Mars/Base"']
    }


def test_schedule_field_rules() -> None:
    body = {
        "id": "ab",
        "cron": 5,
        "startingDeadlineSeconds": 0,
        "concurrencyPolicy": "SOMETIMES",
        "enabled": "true",
    }
    assert schedule_errors(body) == {
        "/cron": ["Wrong type. Expected string, was number."],
        "/startingDeadlineSeconds": ["0 is smaller than required minimum value of 1."],
        "/concurrencyPolicy": ["'SOMETIMES' is not one of ALLOW, FORBID, REPLACE."],
        "/enabled": ["Wrong type. Expected boolean, was string."],
    }


def test_standalone_schedule_ignores_unknown_properties() -> None:
    body = {"id": "ab", "cron": "* * * * *", "nextRunAt": "x", "whatever": {"deep": [1]}}
    assert parse_schedule(body) == ScheduleSpec("ab", "* * * * *")


# --- error format and hostile inputs ----------------------------------------------------------


def test_flatten_uses_jspath_form() -> None:
    messages = {
        "run": {"artifacts": {0: {"uri": ["m1"]}}, "_schema": ["m2"]},
        "_schema": ["m3"],
        "id": ["m4", "m5"],
    }
    assert flatten(messages) == [
        {"path": "/run/artifacts(0)/uri", "errors": ["m1"]},
        {"path": "/run", "errors": ["m2"]},
        {"path": "/", "errors": ["m3"]},
        {"path": "/id", "errors": ["m4", "m5"]},
    ]


def _timed_errors(body: object) -> dict[str, list[str]]:
    started = time.perf_counter()
    found = errors(body)
    assert time.perf_counter() - started < 0.5
    return found


def test_deeply_nested_value_where_a_string_is_expected() -> None:
    nested: object = "x"
    for _ in range(5_000):
        nested = [nested]
    assert _timed_errors(job(user=nested)) == {
        "/run/user": ["Wrong type. Expected string, was array."]
    }


def test_huge_array_of_wrong_items_reports_a_bounded_number() -> None:
    found = _timed_errors(job(artifacts=[1] * 200_000))
    assert len(found) == MAX_ITEM_ERRORS + 1
    assert found["/run/artifacts(0)"] == ["Wrong type. Expected object, was number."]
    assert found["/run/artifacts"] == [
        f"Only the first {MAX_ITEM_ERRORS} invalid items are reported."
    ]


def test_huge_map_of_wrong_values_reports_a_bounded_number() -> None:
    found = _timed_errors(job(env={str(i): i for i in range(200_000)}))
    assert len(found) == MAX_ITEM_ERRORS + 1
    assert found["/run/env/0"] == ["Wrong type. Expected string, was number."]


def test_huge_strings_give_short_messages() -> None:
    huge = "A" * 5_000_000
    found = _timed_errors({**job(cmd=huge), "id": huge, "description": ["x"]})
    assert set(found) == {"/id", "/description"}
    assert len(found["/id"][0]) < 300
