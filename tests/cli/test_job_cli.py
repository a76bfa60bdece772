"""`metronome job` and `metronome schedule` as a user and a script run them, against a real
server: tables for people, `--json` for scripts, and the documented exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from metronome.client import Exit
from tests.cli.conftest import cli
from tests.support.jobs import job_body, schedule_body
from tests.support.server import ROOT, wait

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.server import ServerProcess


def _file(tmp_path: Path, name: str, body: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(body))
    return str(path)


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == Exit.OK, result.stderr
    return json.loads(result.stdout)


def _finished(server: ServerProcess, job_id: str) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = _json(cli(server, "job", "history", job_id, "--json"))
    return runs


def test_a_job_is_added_shown_listed_updated_and_removed(
    server: ServerProcess, job_id: str, tmp_path: Path
) -> None:
    body = {**job_body(job_id, cmd="true"), "schedules": [schedule_body("nightly")]}
    added = cli(server, "job", "add", _file(tmp_path, "job.json", body))
    assert (added.returncode, added.stdout) == (Exit.OK, f"Created job {job_id}\n")

    shown = _json(cli(server, "job", "show", job_id))
    assert shown["run"]["cmd"] == "true"
    assert [s["id"] for s in shown["schedules"]] == ["nightly"]

    listed = cli(server, "job", "list")
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["ID", "ACTIVE", "LAST", "OUTCOME", "LAST", "RUN", "AT", "NEXT", "RUN",
                              "SCHEDULES"]  # fmt: skip
    [row] = [r for r in rows if r.startswith(job_id + " ")]
    assert row.split()[1:4] == ["0", "-", "-"]
    assert row.endswith("20 0 * * *")
    assert job_id in [j["id"] for j in _json(cli(server, "job", "list", "--json"))]

    changed = {**job_body(job_id, cmd="echo changed"), "description": "from the CLI"}
    updated = cli(server, "job", "update", "-", stdin=json.dumps(changed))
    assert (updated.returncode, updated.stdout) == (Exit.OK, f"Updated job {job_id}\n")
    shown = _json(cli(server, "job", "show", job_id, "--json"))
    assert (shown["description"], shown["run"]["cmd"]) == ("from the CLI", "echo changed")
    assert [s["id"] for s in shown["schedules"]] == ["nightly"]  # kept: none in the file

    removed = cli(server, "job", "remove", job_id)
    assert (removed.returncode, removed.stdout) == (Exit.OK, f"Removed job {job_id}\n")
    missing = cli(server, "job", "show", job_id)
    assert missing.returncode == Exit.NOT_FOUND
    assert missing.stderr == f"metronome: Job '{job_id}' does not exist (HTTP 404)\n"


def test_a_run_is_started_its_output_read_and_its_history_shown(
    server: ServerProcess, job_id: str, tmp_path: Path
) -> None:
    cli(server, "job", "add", _file(tmp_path, "job.json", job_body(job_id, cmd="echo hello")))
    started = _json(cli(server, "job", "run", job_id, "--json"))
    [finished] = wait(lambda: _finished(server, job_id), 20)
    assert (finished["id"], finished["status"]) == (started["id"], "SUCCESS")

    logs = cli(server, "job", "logs", job_id)  # the latest run
    assert (logs.returncode, logs.stdout) == (Exit.OK, "hello\n")
    assert cli(server, "job", "logs", job_id, started["id"], "--stderr").stdout == ""

    history = cli(server, "job", "history", job_id).stdout.splitlines()
    assert history[0].split() == ["RUN", "ID", "OUTCOME", "STARTED", "FINISHED", "DURATION"]
    assert history[1].split()[:2] == [started["id"], "SUCCESS"]
    assert cli(server, "job", "history", job_id, "--failures").stdout.splitlines()[1:] == []


def test_following_the_output_prints_it_as_it_comes_and_ends_with_the_task(
    server: ServerProcess, job_id: str, tmp_path: Path
) -> None:
    cmd = "echo first; sleep 3; echo second"
    cli(server, "job", "add", _file(tmp_path, "job.json", job_body(job_id, cmd=cmd)))
    run_id = _json(cli(server, "job", "run", job_id, "--json"))["id"]
    env = {"PYTHONPATH": str(ROOT / "src"), "METRONOME_URL": f"http://127.0.0.1:{server.port}"}
    follower = subprocess.Popen(
        [sys.executable, "-m", "metronome.cli", "job", "logs", job_id, run_id, "-f"],
        stdout=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip
    assert follower.stdout is not None
    with follower, follower.stdout:
        try:
            assert follower.stdout.readline() == "first\n"
            active = server.client.get(f"/v1/jobs/{job_id}/runs").json()
            assert [r["id"] for r in active] == [run_id]  # shown while it runs
            assert follower.stdout.readline() == "second\n"
            assert follower.wait(20) == Exit.OK
        finally:
            follower.kill()


def test_runs_are_listed_and_stopped(server: ServerProcess, job_id: str, tmp_path: Path) -> None:
    cli(server, "job", "add", _file(tmp_path, "job.json", job_body(job_id, cmd="sleep 60")))
    first = _json(cli(server, "job", "run", job_id, "--json"))["id"]
    second = cli(server, "job", "run", job_id).stdout.split()[2]
    runs = cli(server, "job", "runs", job_id).stdout.splitlines()
    assert runs[0].split() == ["RUN", "ID", "STATUS", "STARTED", "TASKS", "WAITING"]
    assert sorted(r.split()[0] for r in runs[1:]) == sorted([first, second])

    one = cli(server, "job", "stop", job_id, first)
    assert (one.returncode, one.stdout) == (Exit.OK, f"Stopped run {first}\n")
    every = cli(server, "job", "stop", job_id, "--all")
    assert (every.returncode, every.stdout) == (Exit.OK, f"Stopped run {second}\n")
    assert _json(cli(server, "job", "runs", job_id, "--json")) == []
    assert cli(server, "job", "stop", job_id).returncode == Exit.USAGE


def test_schedules_are_listed_added_updated_and_removed(
    server: ServerProcess, job_id: str, tmp_path: Path
) -> None:
    cli(server, "job", "add", _file(tmp_path, "job.json", job_body(job_id)))
    schedule = schedule_body("hourly", cron="0 * * * *")
    added = cli(server, "schedule", "add", job_id, _file(tmp_path, "s.json", schedule))
    assert (added.returncode, added.stdout) == (Exit.OK, f"Added schedule hourly to job {job_id}\n")
    header, row = cli(server, "schedule", "list", job_id).stdout.splitlines()
    assert header.split() == ["ID", "CRON", "TIMEZONE", "ENABLED", "NEXT", "RUN", "CONCURRENCY"]
    assert row.startswith("hourly  0 * * * *  UTC")
    assert " yes " in row

    disabled = {**schedule, "enabled": False}
    updated = cli(server, "schedule", "update", job_id, "-", stdin=json.dumps(disabled))
    assert updated.returncode == Exit.OK, updated.stderr
    [listed] = _json(cli(server, "schedule", "list", job_id, "--json"))
    assert listed["enabled"] is False

    removed = cli(server, "schedule", "remove", job_id, "hourly")
    assert removed.stdout == f"Removed schedule hourly of job {job_id}\n"
    assert _json(cli(server, "schedule", "list", job_id, "--json")) == []
    assert cli(server, "schedule", "remove", job_id, "hourly").returncode == Exit.NOT_FOUND


def test_refusals_have_their_exit_codes_and_say_why(
    server: ServerProcess, job_id: str, tmp_path: Path
) -> None:
    bad = job_body(job_id, cpus=-1)
    invalid = cli(server, "job", "add", _file(tmp_path, "bad.json", bad))
    assert invalid.returncode == Exit.INVALID
    first, *details = invalid.stderr.splitlines()
    assert first.startswith("metronome: ") and first.endswith("(HTTP 422)")
    assert any(d.startswith("  /run/cpus: ") for d in details), invalid.stderr

    cli(server, "job", "add", _file(tmp_path, "job.json", job_body(job_id)))
    again = cli(server, "job", "add", _file(tmp_path, "job.json", job_body(job_id)))
    assert again.returncode == Exit.CONFLICT

    (tmp_path / "broken.json").write_text("{not json")
    broken = cli(server, "job", "add", str(tmp_path / "broken.json"))
    assert broken.returncode == Exit.USAGE
    assert "is not JSON" in broken.stderr
    assert cli(server, "job", "add", str(tmp_path / "absent.json")).returncode == Exit.USAGE
    assert cli(server, "job", "frobnicate").returncode == Exit.USAGE  # argparse's own

    gone = cli(server, "job", "logs", job_id, "no-such-run")
    assert gone.returncode == Exit.NOT_FOUND
    assert "JobRun 'no-such-run' does not exist" in gone.stderr


def test_an_unreachable_server_is_its_own_exit_code(server: ServerProcess) -> None:
    result = cli(server, "job", "list", "--url", "http://127.0.0.1:9")
    assert result.returncode == Exit.UNREACHABLE
    assert result.stderr.startswith("metronome: cannot reach http://127.0.0.1:9")


def test_a_run_that_waits_says_why(server: ServerProcess, job_id: str, tmp_path: Path) -> None:
    body = job_body(job_id, cmd="true", mem=10**9)
    cli(server, "job", "add", _file(tmp_path, "job.json", body))
    run_id = _json(cli(server, "job", "run", job_id, "--json"))["id"]
    try:
        [row] = cli(server, "job", "runs", job_id).stdout.splitlines()[1:]
        assert row.startswith(run_id)
        assert "  never fits: mem 1000000000 wanted, " in row
    finally:
        cli(server, "job", "stop", job_id, "--all")
