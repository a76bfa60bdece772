"""A run's output on Mesos over real HTTP: read from the fake agent's `/files/read`."""

from __future__ import annotations

import http.client
import shutil
from typing import TYPE_CHECKING

from tests.http.test_logs import _finished, _run
from tests.mesos.test_server_on_mesos import fake_master as fake_master  # the fixture
from tests.support.server import ServerProcess, wait

if TYPE_CHECKING:
    from pathlib import Path


def test_output_comes_from_the_agent_that_ran_the_task(fake_master: str, tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", extra_args=["--master", fake_master]).start()
    try:
        client = server.client
        run_id = _run(client, "mesos.out", "echo one; sleep 1; echo two; echo err >&2")
        logs = f"/v1/jobs/mesos.out/runs/{run_id}/logs"
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
        try:
            conn.request("GET", f"{logs}/stdout?follow=true")
            response = conn.getresponse()
            assert response.status == 200
            assert response.read() == b"one\ntwo\n"  # until the task ended
        finally:
            conn.close()
        run = wait(lambda: _finished(client, "mesos.out", run_id), 20)
        assert client.get(f"{logs}/stdout").text == "one\ntwo\n"
        assert client.get(f"{logs}/stderr").text == "err\n"
        part = client.get(f"{logs}/stdout", headers={"Range": "bytes=4-"})
        assert (part.status, part.text, part.headers["Content-Range"]) == (
            206,
            "two\n",
            "bytes 4-7/8",
        )

        [task] = run["details"]["tasks"]
        [sandbox] = (tmp_path / "agents").glob(f"*/{task['id']}")
        shutil.rmtree(sandbox)  # as the agent's garbage collection does
        gone = client.get(f"{logs}/stdout")
        assert gone.status == 404
        assert "has no sandbox for it" in gone.json()["message"]
    finally:
        server.stop()
