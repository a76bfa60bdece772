"""Webhooks over real HTTP: a real server notifies a real receiver, retrying a failed delivery."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.jobs import job_body
from tests.support.server import wait

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.server import ServerProcess


class Receiver:
    """Records each POST (path, JSON body); answers 500 to the first `fail_first` of a path."""

    def __init__(self, fail_first: dict[str, int]) -> None:
        self.received: list[tuple[str, Any]] = []
        self.attempts: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                attempt = receiver.attempts[self.path] = receiver.attempts.get(self.path, 0) + 1
                if attempt <= fail_first.get(self.path, 0):
                    self.send_response(500)
                else:
                    receiver.received.append((self.path, body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(fail_first={"/default": 1})
    thread = threading.Thread(target=server.http.serve_forever, daemon=True)
    thread.start()
    yield server
    server.http.shutdown()
    server.http.server_close()


def test_runs_are_notified_to_the_jobs_or_the_default_webhook(
    own_server: ServerProcess, receiver: Receiver
) -> None:
    own_server.extra_args += [
        "--webhook-url", f"{receiver.url}/default", "--webhook-events", "failure",
    ]  # fmt: skip
    client = own_server.start().client
    labels = {"metronome.webhook.url": f"{receiver.url}/own", "metronome.webhook.events": "success"}
    assert (
        client.post("/v1/jobs", {**job_body("hooked", cmd="true"), "labels": labels}).status == 201
    )
    assert client.post("/v1/jobs", job_body("plain", cmd="exit 3")).status == 201
    assert client.post("/v1/jobs", job_body("quiet", cmd="true")).status == 201
    for job_id in ("hooked", "plain", "quiet"):
        client.post(f"/v1/jobs/{job_id}/runs")

    wait(lambda: len(receiver.received) == 2, 30)
    by_path = dict(receiver.received)
    own = by_path["/own"]
    assert (own["event"], own["jobId"], own["run"]["status"]) == ("success", "hooked", "SUCCESS")
    assert own["run"]["details"]["reason"] == {"kind": "SUCCEEDED", "exitCode": 0}
    default = by_path["/default"]
    assert (default["event"], default["jobId"]) == ("failure", "plain")
    assert default["run"]["details"]["reason"]["exitCode"] == 3
    assert receiver.attempts["/default"] == 2  # the first answer was a 500: retried
    metrics = client.get("/metrics").text
    assert "\nmetronome_webhooks_sent_counter_total 2\n" in metrics
    assert "\nmetronome_webhooks_retried_counter_total 1\n" in metrics
    assert "\nmetronome_webhooks_failed_counter_total 0\n" in metrics
