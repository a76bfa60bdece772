"""Where the real master is strict (or lax), the fake is too, and the launcher copes as on a real
cluster: subscription rules, ERROR events, refused calls, validation, executor wording."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from metronome.launch import MemoryFrameworkIdStore
from metronome.model import Docker, DockerParameter, TaskStatus, Volume, VolumeMode
from tests.launch.conftest import spec, wait_until

S = TaskStatus
JSON = {"Content-Type": "application/json"}


async def _post(http: aiohttp.ClientSession, url: str, body: Any, **headers: str) -> int:
    async with http.post(url, data=json.dumps(body), headers={**JSON, **headers}) as response:
        return response.status


async def _next_event(stream: aiohttp.ClientResponse, kind: str) -> dict[str, Any]:
    while True:
        size = int(await stream.content.readuntil(b"\n"))
        event: dict[str, Any] = json.loads(await stream.content.readexactly(size))
        if event["type"] == kind:
            return event


async def test_subscribe_needs_user_and_name_and_accept_its_required_fields(make_fake) -> None:
    fake = await make_fake()
    url = f"http://{fake.addresses[0]}/api/v1/scheduler"
    info = {"user": "u", "name": "n"}
    async with aiohttp.ClientSession() as http:
        for field in ("user", "name"):
            partial = {k: v for k, v in info.items() if k != field}
            call = {"type": "SUBSCRIBE", "subscribe": {"framework_info": partial}}
            assert await _post(http, url, call) == 400
        call = {"type": "SUBSCRIBE", "subscribe": {"framework_info": info}}
        async with http.post(url, json=call) as stream:
            framework_id = (await _next_event(stream, "SUBSCRIBED"))["subscribed"]["framework_id"]
            offer = (await _next_event(stream, "OFFERS"))["offers"]["offers"][0]
            task = {
                "name": "t", "task_id": {"value": "t"}, "agent_id": offer["agent_id"],
                "command": {"value": "true"},
                "resources": [{"name": "cpus", "scalar": {"value": 0.1}}],  # no `type`
            }  # fmt: skip
            accept = {
                "type": "ACCEPT", "framework_id": framework_id,
                "accept": {"offer_ids": [offer["id"]], "operations": [
                    {"type": "LAUNCH", "launch": {"task_infos": [task]}}]},
            }  # fmt: skip
            stream_id = stream.headers["Mesos-Stream-Id"]
            async with http.post(
                url, data=json.dumps(accept), headers={**JSON, "Mesos-Stream-Id": stream_id}
            ) as response:
                assert response.status == 400
                assert "task_infos[0].resources[0].type" in await response.text()
    # Nothing was done: no task, and the offer is still outstanding.
    assert fake.master.all_tasks() == []
    assert offer["id"]["value"] in fake.master.offers


async def test_a_changed_user_is_kept_and_a_changed_principal_stops_the_launcher(
    make_fake, make_launcher
) -> None:
    fake = await make_fake()
    ids = MemoryFrameworkIdStore()
    first, _ = await make_launcher(fake, ids, user="alice")
    await wait_until(lambda: first.connected)
    await first.stop()
    second, _ = await make_launcher(fake, ids, user="bob")
    await wait_until(lambda: second.connected)
    assert second.framework_id == first.framework_id
    assert fake.master.frameworks[second.framework_id].info["user"] == "alice"
    await second.stop()

    third, _ = await make_launcher(fake, ids, principal="mallory")
    await wait_until(lambda: third.refusal is not None)
    assert third.refusal == "Changing framework's principal is not allowed."
    assert third.problem() == {"state": "refused", "message": third.refusal}
    subscribed = fake.master.subscribe_count
    third.launch("t", spec(cmd="true"))
    await asyncio.sleep(0.5)  # several backoffs: a refusal is not retried
    assert fake.master.subscribe_count == subscribed
    assert third.queued() == ["t"]


async def test_a_scheduler_whose_framework_is_taken_over_steps_down(
    make_fake, make_launcher
) -> None:
    fake = await make_fake()
    ids = MemoryFrameworkIdStore()
    first, _ = await make_launcher(fake, ids)
    await wait_until(lambda: first.connected)
    second, updates = await make_launcher(fake, ids)
    await wait_until(lambda: first.step_downs == 1)
    problem = first.problem()
    assert problem is not None
    assert problem["state"] == "stepped-down"
    await asyncio.sleep(0.5)  # the first does not take it back
    assert fake.master.subscribe_count == 2
    assert second.connected
    assert not first.connected
    second.launch("t", spec(cmd="true"))
    assert (await updates.final("t")).status is S.TASK_FINISHED


async def test_a_refused_accept_fails_the_launch_at_once(make_fake, make_launcher) -> None:
    fake = await make_fake()
    text = "Failed to convert JSON into Call protobuf: Missing required fields: accept.x"
    fake.master.refuse_calls["ACCEPT"] = (400, text)
    launcher, updates = await make_launcher(fake)
    launcher.launch("bad", spec(cmd="true"))
    final = await updates.final("bad", timeout=3)
    assert final.status is S.TASK_FAILED
    assert final.message == f"Mesos refused the launch: {text}"
    assert fake.master.all_tasks() == []
    del fake.master.refuse_calls["ACCEPT"]
    launcher.launch("good", spec(cmd="true"))
    assert (await updates.final("good")).status is S.TASK_FINISHED


async def test_what_the_master_would_refuse_fails_before_any_offer(
    make_fake, make_launcher
) -> None:
    fake = await make_fake()
    launcher, updates = await make_launcher(fake)
    named = Docker("busybox", parameters=(DockerParameter("name", "mine"),))
    launcher.launch("named", spec(cmd="true", docker=named))
    launcher.launch("nohost", spec(cmd="true", volumes=(Volume("/data", "", VolumeMode.RO),)))
    for task_id, words in (("named", "'name'"), ("nohost", "hostPath")):
        final = await updates.final(task_id)
        assert updates.statuses(task_id) == [S.TASK_FAILED]  # never staged
        assert words in (final.message or "")
    assert fake.master.launch_latencies_s == []


async def test_docker_exit_codes_are_read_and_an_unknown_one_is_said(
    make_fake, make_launcher
) -> None:
    fake = await make_fake(run_containers_on_host=True)
    launcher, updates = await make_launcher(fake)
    launcher.launch("three", spec(cmd="exit 3", docker=Docker("busybox")))
    launcher.launch("signalled", spec(cmd="kill -9 $$", docker=Docker("busybox")))
    three = await updates.final("three")
    assert (three.status, three.exit_code, three.message) == (
        S.TASK_FAILED, 3, "Container exited with status 3",
    )  # fmt: skip
    signalled = await updates.final("signalled")
    assert signalled.exit_code is None
    assert signalled.message == "Container terminated with signal Killed; exit code unknown"
