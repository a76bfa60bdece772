"""Artifacts: what the operator allows, read with the task's user's rights."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from metronome.launch import TaskPolicy
from metronome.model import Artifact, TaskStatus
from tests.isolation.conftest import needs_root
from tests.launch.conftest import spec

if TYPE_CHECKING:
    from collections.abc import Iterator

S = TaskStatus
LOOPBACK_RULE = "loopback and link-local destinations are refused (--allow-loopback-artifacts)"


@pytest.fixture
def artifact_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory the task's user can reach (pytest's own temp dirs are root's alone)."""
    directory = Path(os.path.realpath("/tmp")) / f"metronome-artifacts-{os.getpid()}"
    directory.mkdir(mode=0o755)
    try:
        yield directory
    finally:
        for child in directory.iterdir():
            child.unlink()
        directory.rmdir()


async def test_file_artifacts_only_come_from_the_artifact_dirs(
    make_launcher, artifact_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "tool.sh"
    outside.write_text("echo hi\n")
    launcher, updates = await make_launcher(policy=TaskPolicy(artifact_dirs=(artifact_dir,)))
    launcher.launch("f1", spec(cmd="true", artifacts=(Artifact(f"file://{outside}"),)))
    final = await updates.final("f1")
    assert final.status is S.TASK_FAILED
    assert final.message == (
        f"cannot fetch artifact 'file://{outside}': file:// artifacts are allowed only under "
        f"--artifact-dirs ({artifact_dir})"
    )
    # A link out of an allowed directory is judged by where it leads.
    (artifact_dir / "link").symlink_to(outside)
    launcher.launch("f2", spec(cmd="true", artifacts=(Artifact(f"file://{artifact_dir}/link"),)))
    assert "--artifact-dirs" in ((await updates.final("f2")).message or "")


@needs_root
async def test_file_artifacts_are_read_as_the_tasks_user(
    make_launcher, artifact_dir: Path, sandbox_root: Path
) -> None:
    (artifact_dir / "public.txt").write_text("for all\n")
    secret = artifact_dir / "secret.txt"
    secret.write_text("root's\n")
    secret.chmod(0o600)
    launcher, updates = await make_launcher(policy=TaskPolicy(artifact_dirs=(artifact_dir,)))
    public = Artifact(f"file://{artifact_dir}/public.txt")
    launcher.launch("p1", spec(cmd="cat public.txt", artifacts=(public,)))
    assert (await updates.final("p1")).status is S.TASK_FINISHED
    assert (sandbox_root / "p1" / "public.txt").stat().st_uid == 65534  # the user's own

    launcher.launch("s1", spec(cmd="cat secret.txt", artifacts=(Artifact(f"file://{secret}"),)))
    final = await updates.final("s1")
    assert final.status is S.TASK_FAILED
    assert final.message == (
        f"cannot fetch artifact 'file://{secret}': user 'nobody' cannot read {secret}: "
        "Permission denied"
    )
    assert not (sandbox_root / "s1" / "secret.txt").read_text()  # nothing of it landed


@pytest.fixture
async def loopback_base(aiohttp_server) -> str:
    async def tool(request: web.Request) -> web.Response:
        return web.Response(text="echo tool ran\n")

    app = web.Application()
    app.router.add_get("/tool.sh", tool)
    server = await aiohttp_server(app, host="127.0.0.1")
    return f"http://127.0.0.1:{server.port}"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
async def test_loopback_destinations_are_refused(
    make_launcher, loopback_base: str, host: str
) -> None:
    uri = loopback_base.replace("127.0.0.1", host) + "/tool.sh"
    launcher, updates = await make_launcher()
    launcher.launch("l1", spec(cmd="true", artifacts=(Artifact(uri),)))
    final = await updates.final("l1")
    assert final.status is S.TASK_FAILED
    assert final.message is not None
    assert final.message.startswith(f"cannot fetch artifact '{uri}': host ")
    assert final.message.endswith(LOOPBACK_RULE)


async def test_link_local_metadata_is_refused_without_a_connection(make_launcher) -> None:
    uri = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    launcher, updates = await make_launcher()
    launcher.launch("m1", spec(cmd="true", artifacts=(Artifact(uri),)))
    final = await updates.final("m1")
    assert final.message == (
        f"cannot fetch artifact '{uri}': host 169.254.169.254 is 169.254.169.254: {LOOPBACK_RULE}"
    )


async def test_the_operator_may_allow_loopback(make_launcher, loopback_base: str) -> None:
    launcher, updates = await make_launcher(policy=TaskPolicy(allow_loopback_artifacts=True))
    artifact = Artifact(f"{loopback_base}/tool.sh", executable=True)
    launcher.launch("a1", spec(cmd="./tool.sh", artifacts=(artifact,)))
    assert (await updates.final("a1")).status is S.TASK_FINISHED


def _routable_address() -> str | None:
    """An address of this host that is neither loopback nor link-local, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("198.51.100.1", 9))  # no packet is sent: this only picks a route
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith(("127.", "169.254.")) else address


async def test_a_redirect_to_loopback_is_refused(
    make_launcher, aiohttp_server, loopback_base: str
) -> None:
    address = _routable_address()
    if address is None:
        pytest.skip("this host has no address other than loopback to serve the redirect from")

    async def tool(request: web.Request) -> web.Response:
        return web.Response(text="echo outside\n")

    async def to_loopback(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{loopback_base}/tool.sh")

    app = web.Application()
    app.router.add_get("/tool.sh", tool)
    app.router.add_get("/redirect", to_loopback)
    server = await aiohttp_server(app, host=address)
    outside = f"http://{address}:{server.port}"
    launcher, updates = await make_launcher()
    fetched = Artifact(f"{outside}/tool.sh", executable=True)
    launcher.launch("o1", spec(cmd="./tool.sh", artifacts=(fetched,)))
    assert (await updates.final("o1")).status is S.TASK_FINISHED  # not loopback: fetched

    launcher.launch("o2", spec(cmd="true", artifacts=(Artifact(f"{outside}/redirect"),)))
    final = await updates.final("o2")
    assert final.status is S.TASK_FAILED
    assert (final.message or "").endswith(f"host 127.0.0.1 is 127.0.0.1: {LOOPBACK_RULE}")
