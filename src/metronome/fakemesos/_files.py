"""Each fake agent's `/files/read`, the Mesos agent files API that serves task sandboxes.

A command task's sandbox is at the agent's virtual path
`/frameworks/<framework id>/executors/<task id>/runs/latest` (the executor of a command task has
the task's id). `offset=-1` answers the file's size; otherwise up to `length` bytes from `offset`.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from metronome.fakemesos._master import Master
    from metronome.fakemesos._state import Agent

_PATH = re.compile(r"/frameworks/([^/]+)/executors/([^/]+)/runs/latest/([^/]+)")
_PAGE_BYTES = 16 * 4096  # what an agent sends at most per read without a length


async def serve_agent_files(master: Master, host: str) -> list[web.AppRunner]:
    """One HTTP server per agent, on a free port that its offers then advertise."""
    runners = []
    for agent in master.agents.values():
        app = web.Application()
        app.router.add_get("/files/read", functools.partial(_read, master=master, agent=agent))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, 0)
        await site.start()
        agent.port = runner.addresses[0][1]
        runners.append(runner)
    return runners


async def _read(request: web.Request, *, master: Master, agent: Agent) -> web.Response:
    match = _PATH.fullmatch(request.query.get("path", ""))
    try:
        offset = int(request.query["offset"])
        length = int(request.query.get("length", _PAGE_BYTES))
    except (KeyError, ValueError):
        return web.Response(status=400, text="Failed to parse offset/length")
    if match is None or match.group(3) in (".", ".."):
        return web.Response(status=404)
    framework_id, task_id, name = match.groups()
    task = master.tasks.get(framework_id, {}).get(task_id)
    if task is not None and task.agent_id != agent.id:
        return web.Response(status=404)  # another agent's task
    path = master.settings.sandbox_root / framework_id / task_id / name
    try:
        with path.open("rb") as file:
            if offset == -1:
                file.seek(0, 2)
                return web.json_response({"data": "", "offset": file.tell()})
            file.seek(max(offset, 0))
            data = file.read(max(0, min(length, _PAGE_BYTES)))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return web.Response(status=404)
    return web.json_response({"data": data.decode(errors="replace"), "offset": offset})
