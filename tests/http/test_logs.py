"""A run's output over real HTTP: whole, by range, followed live, per task, and once removed."""

from __future__ import annotations

import http.client
import time
from typing import TYPE_CHECKING, Any

from tests.support.jobs import job_body
from tests.support.server import ServerProcess, wait

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.server import Client

OUT = "".join(f"line {i:03}\n" for i in range(200))  # 1,800 bytes


def _finished(client: Client, job_id: str, run_id: str) -> dict[str, Any] | None:
    response = client.get(f"/v1/jobs/{job_id}/runs/{run_id}?embed=details")
    run = response.json() if response.status == 200 else None
    return run if run and run["status"] in ("SUCCESS", "FAILED") else None


def _run(client: Client, job_id: str, cmd: str, **run: Any) -> str:
    assert client.post("/v1/jobs", job_body(job_id, cmd=cmd, **run)).status == 201
    run_id: str = client.post(f"/v1/jobs/{job_id}/runs").json()["id"]
    return run_id


def _run_to_end(client: Client, job_id: str, cmd: str, **run: Any) -> dict[str, Any]:
    run_id = _run(client, job_id, cmd, **run)
    return wait(lambda: _finished(client, job_id, run_id), 20)


def test_a_finished_runs_output_is_text_whole_or_by_range(client: Client, job_id: str) -> None:
    cmd = "for i in $(seq 0 199); do printf 'line %03d\\n' $i; done; echo oops >&2"
    run = _run_to_end(client, job_id, cmd)
    logs = f"/v1/jobs/{job_id}/runs/{run['id']}/logs"

    whole = client.get(f"{logs}/stdout")
    assert (whole.status, whole.text) == (200, OUT)
    assert whole.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert client.get(f"{logs}/stderr").text == "oops\n"

    part = client.get(f"{logs}/stdout", headers={"Range": "bytes=9-17"})
    assert (part.status, part.text) == (206, "line 001\n")
    assert part.headers["Content-Range"] == f"bytes 9-17/{len(OUT)}"
    tail = client.get(f"{logs}/stdout", headers={"Range": "bytes=-9"})
    assert (tail.status, tail.text) == (206, "line 199\n")
    rest = client.get(f"{logs}/stdout", headers={"Range": "bytes=1791-"})
    assert (rest.status, rest.text) == (206, "line 199\n")
    clipped = client.get(f"{logs}/stdout", headers={"Range": "bytes=1791-99999"})
    assert clipped.headers["Content-Range"] == f"bytes 1791-1799/{len(OUT)}"

    past = client.get(f"{logs}/stdout", headers={"Range": f"bytes={len(OUT)}-"})
    assert past.status == 416
    assert past.headers["Content-Range"] == f"bytes */{len(OUT)}"
    assert "1800 bytes" in past.json()["message"]
    bad = client.get(f"{logs}/stdout", headers={"Range": "bytes=0-1,5-6"})
    assert bad.status == 400
    assert "Range header" in bad.json()["message"]


def test_following_streams_output_while_the_task_runs_and_ends_with_it(
    server: ServerProcess, job_id: str
) -> None:
    client = server.client
    run_id = _run(client, job_id, "echo first; sleep 2.5; echo second")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        conn.request("GET", f"/v1/jobs/{job_id}/runs/{run_id}/logs/stdout?follow=true")
        response = conn.getresponse()
        assert response.status == 200
        assert response.headers["Transfer-Encoding"] == "chunked"
        first = response.read1()
        while b"first" not in first:
            first += response.read1()
        # Shown while the task still runs: the run has not finished yet.
        assert _finished(client, job_id, run_id) is None
        assert first == b"first\n"
        started = time.monotonic()
        rest = response.read()  # to the end of the answer, which comes when the task ends
        assert rest == b"second\n"
        assert time.monotonic() - started < 10
    finally:
        conn.close()
    assert wait(lambda: _finished(client, job_id, run_id), 10)["status"] == "SUCCESS"


def test_following_a_finished_run_sends_its_output_and_ends(client: Client, job_id: str) -> None:
    run = _run_to_end(client, job_id, "echo done")
    logs = f"/v1/jobs/{job_id}/runs/{run['id']}/logs/stdout?follow=true"
    assert client.get(logs).text == "done\n"
    assert client.get(logs, headers={"Range": "bytes=2-"}).text == "ne\n"


def test_a_task_is_chosen_by_id_and_the_latest_by_default(
    client: Client, job_id: str, tmp_path: Path
) -> None:
    marker = tmp_path / "tried"
    cmd = f"if [ -e {marker} ]; then echo second try; else touch {marker}; echo first; exit 3; fi"
    run = _run_to_end(client, job_id, cmd, restart={"policy": "ON_FAILURE"}, user="root")
    assert run["status"] == "SUCCESS"
    first, second = (task["id"] for task in run["details"]["tasks"])
    logs = f"/v1/jobs/{job_id}/runs/{run['id']}/logs/stdout"
    assert client.get(logs).text == "second try\n"
    assert client.get(f"{logs}?task={second}").text == "second try\n"
    assert client.get(f"{logs}?task={first}").text == "first\n"
    unknown = client.get(f"{logs}?task=nope")
    assert unknown.status == 404
    assert unknown.json() == {"message": f"JobRun '{run['id']}' has no task 'nope'"}


def test_unknown_runs_and_bad_parameters(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id)).status == 201
    missing = client.get(f"/v1/jobs/{job_id}/runs/nope/logs/stdout")
    assert missing.status == 404
    assert missing.json() == {"message": "JobRun 'nope' does not exist"}
    assert client.get("/v1/jobs/t.no-such-job/runs/x/logs/stderr").status == 404
    bad = client.get(f"/v1/jobs/{job_id}/runs/nope/logs/stdout?follow=maybe")
    assert bad.status == 400
    assert "follow" in bad.json()["message"]


def test_a_run_waiting_for_placement_has_no_output_yet(client: Client, job_id: str) -> None:
    run_id = _run(client, job_id, "true", mem=10**9)
    response = client.get(f"/v1/jobs/{job_id}/runs/{run_id}/logs/stdout")
    assert response.status == 404
    assert "has no output yet" in response.json()["message"]
    client.post(f"/v1/jobs/{job_id}/runs/{run_id}/actions/stop")


def test_output_removed_with_its_sandbox_says_when(own_server: ServerProcess, job_id: str) -> None:
    own_server.extra_args += ["--sandbox-retention", "1s"]
    client = own_server.start().client
    run = _run_to_end(client, job_id, "echo soon gone")
    sandboxes = own_server.data_dir / "sandboxes"
    wait(lambda: not any(sandboxes.iterdir()), 20)
    response = client.get(f"/v1/jobs/{job_id}/runs/{run['id']}/logs/stdout")
    assert response.status == 404
    message = response.json()["message"]
    assert "removed at about" in message
    assert "kept for 1 seconds after their task ends (--sandbox-retention)" in message
    assert run["details"]["tasks"][0]["endedAt"] in message


def test_a_follower_waits_for_a_task_to_be_placed(server: ServerProcess, job_id: str) -> None:
    """A follower of a run still queued gets its output once it runs (here: it never runs and
    is stopped, which ends the answer)."""
    client = server.client
    run_id = _run(client, job_id, "true", mem=10**9)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        conn.request("GET", f"/v1/jobs/{job_id}/runs/{run_id}/logs/stdout?follow=true")
        response = conn.getresponse()
        assert response.status == 200
        client.post(f"/v1/jobs/{job_id}/runs/{run_id}/actions/stop")
        assert response.read() == b""
    finally:
        conn.close()


def test_head_answers_the_headers_alone(client: Client, job_id: str) -> None:
    run = _run_to_end(client, job_id, "printf twelve-bytes")
    logs = f"/v1/jobs/{job_id}/runs/{run['id']}/logs/stdout"
    for query in ("", "?follow=true"):
        head = client.request("HEAD", logs + query)
        assert (head.status, head.body, head.headers["Content-Length"]) == (200, b"", "12")


def test_a_task_that_swaps_its_output_for_a_link_gets_nothing_served(
    client: Client, job_id: str
) -> None:
    """The task owns its sandbox; the server reads the output as root, so a link to a file only
    root may read must not be followed, nor a FIFO opened."""
    cmd = "echo visible; rm -f stdout stderr; ln -s /etc/shadow stdout; mkfifo stderr"
    run = _run_to_end(client, job_id, cmd)
    logs = f"/v1/jobs/{job_id}/runs/{run['id']}/logs"
    for stream in ("stdout", "stderr"):
        refused = client.get(f"{logs}/{stream}")
        assert refused.status == 404, refused.text
        assert f"replaced its {stream} file" in refused.json()["message"]
