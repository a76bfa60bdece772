"""Job dependencies over real HTTP: Metronome's rules and messages, rendering, a run end to end."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.support.jobs import job_body, schedule_body
from tests.support.server import wait

if TYPE_CHECKING:
    from tests.support.server import Client


def _child(job_id: str, *parents: str, **fields: Any) -> dict[str, Any]:
    return {**job_body(job_id, cmd="true"), "dependencies": [{"id": p} for p in parents], **fields}


def _message(response: Any) -> str:
    return response.json()["message"]


def test_dependencies_render_only_when_the_job_has_some(client: Client, job_id: str) -> None:
    parent, child = f"{job_id}.parent", f"{job_id}.child"
    assert "dependencies" not in client.post("/v1/jobs", job_body(parent)).json()
    created = client.post("/v1/jobs", _child(child, parent))
    assert created.status == 201, created.text
    assert list(created.json())[:3] == ["id", "dependencies", "labels"]  # Metronome's order
    assert created.json()["dependencies"] == [{"id": parent}]
    assert client.get(f"/v1/jobs/{child}").json()["dependencies"] == [{"id": parent}]
    assert "dependencies" not in client.get(f"/v1/jobs/{parent}").json()
    listed = {job["id"]: job for job in client.get("/v1/jobs").json()}
    assert "dependencies" not in listed[parent] and listed[child]["dependencies"]


def test_unknown_parents_duplicates_and_schedules_are_refused(client: Client, job_id: str) -> None:
    unknown = client.post("/v1/jobs", _child(job_id, f"{job_id}.b", f"{job_id}.a"))
    assert unknown.status == 422
    assert _message(unknown) == (
        f"Dependencies contain unknown jobs. unknown=[{job_id}.a, {job_id}.b]"
    )
    itself = client.post("/v1/jobs", _child(job_id, job_id))
    assert _message(itself) == f"Dependencies contain unknown jobs. unknown=[{job_id}]"
    parent = f"{job_id}.parent"
    assert client.post("/v1/jobs", job_body(parent)).status == 201
    twice = client.post("/v1/jobs", _child(job_id, parent, parent))
    assert twice.status == 422
    assert {"path": "/dependencies", "errors": ["has double entries"]} in twice.json()["details"]
    both = client.post("/v1/jobs", _child(job_id, parent, schedules=[schedule_body()]))
    assert both.status == 422
    expected = "Jobs may not have both dependencies and schedules specified"
    assert {"path": "/", "errors": [expected]} in both.json()["details"]
    wrong = client.post("/v1/jobs", {**job_body(job_id), "dependencies": [{"id": "Bad!"}]})
    assert wrong.status == 422
    assert wrong.json()["details"][0]["path"] == "/dependencies(0)/id"
    assert client.get(f"/v1/jobs/{job_id}").status == 404  # none of them was created


def test_the_rules_hold_for_updates_and_schedules(client: Client, job_id: str) -> None:
    a, b, c = (f"{job_id}.{name}" for name in "abc")
    assert client.post("/v1/jobs", job_body(a)).status == 201
    assert client.post("/v1/jobs", _child(b, a)).status == 201
    assert client.post("/v1/jobs", _child(c, b)).status == 201
    cycle = client.put(f"/v1/jobs/{a}", _child(a, c))
    assert cycle.status == 422
    assert _message(cycle) == "Dependencies have a cycle."
    assert _message(client.put(f"/v1/jobs/{a}", _child(a, a))) == "Dependencies have a cycle."
    assert "dependencies" not in client.get(f"/v1/jobs/{a}").json()
    scheduled = client.post(f"/v1/jobs/{c}/schedules", schedule_body())
    assert scheduled.status == 422
    both = "Jobs may not have both dependencies and schedules specified"
    assert _message(scheduled) == both
    # PUT keeps the stored schedules: dependencies beside them are refused as well.
    assert client.post(f"/v1/jobs/{a}/schedules", schedule_body()).status == 201
    kept = client.put(f"/v1/jobs/{a}", _child(a, f"{job_id}.x"))
    assert kept.status == 422 and _message(kept) == both
    moved = client.put(f"/v1/jobs/{c}", _child(c, a))  # rewiring without a cycle is fine
    assert moved.status == 200, moved.text
    assert moved.json()["dependencies"] == [{"id": a}]


def test_a_parent_with_children_cannot_be_deleted(client: Client, job_id: str) -> None:
    parent, one, two = f"{job_id}.p", f"{job_id}.one", f"{job_id}.two"
    assert client.post("/v1/jobs", job_body(parent)).status == 201
    assert client.post("/v1/jobs", _child(two, parent)).status == 201
    assert client.post("/v1/jobs", _child(one, parent)).status == 201
    refused = client.delete(f"/v1/jobs/{parent}")
    assert refused.status == 409
    assert _message(refused) == (
        f"There are jobs with a dependency on {parent}. children=[{one}, {two}]"
    )
    assert client.delete(f"/v1/jobs/{one}").status == 200
    assert client.put(f"/v1/jobs/{two}", job_body(two)).status == 200  # no longer depends
    assert client.delete(f"/v1/jobs/{parent}").status == 200


def test_a_parents_success_runs_the_child(client: Client, job_id: str) -> None:
    parent, child = f"{job_id}.parent", f"{job_id}.child"
    assert client.post("/v1/jobs", job_body(parent, cmd="true")).status == 201
    assert client.post("/v1/jobs", _child(child, parent)).status == 201
    assert client.post(f"/v1/jobs/{parent}/runs").status == 201

    def child_succeeded() -> bool:
        history = client.get(f"/v1/jobs/{child}?embed=history").json()["history"]
        return history["successCount"] == 1

    wait(child_succeeded, 15)
    [finished] = client.get(f"/v1/jobs/{child}?embed=history").json()["history"][
        "successfulFinishedRuns"
    ]
    run = client.get(f"/v1/jobs/{child}/runs/{finished['id']}?embed=details").json()
    assert run["details"]["trigger"] == {"kind": "DEPENDENCIES"}
