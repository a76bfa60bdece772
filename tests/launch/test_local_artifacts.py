"""Artifacts are fetched into the sandbox before the command runs."""

from __future__ import annotations

import asyncio
import io
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest
from aiohttp import web

from metronome.launch import TaskPolicy
from metronome.model import Artifact, TaskStatus
from tests.launch.conftest import spec

S = TaskStatus
# These tests are about fetching itself: tasks as root, sources in the test's temp dir and on
# loopback allowed (tests/isolation has the rules that refuse them).
TRUSTED = TaskPolicy(
    task_user="root", artifact_dirs=(Path(tempfile.gettempdir()),), allow_loopback_artifacts=True
)
SCRIPT = b"#!/bin/sh\necho tool ran\n"


def make_tar_gz(path: Path, members: dict[str, tuple[bytes, int]]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, (data, mode) in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))


def make_zip(path: Path, members: dict[str, tuple[bytes, int]]) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, (data, mode) in members.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100000 | mode) << 16
            zf.writestr(info, data)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    directory = tmp_path / "source"
    directory.mkdir()
    return directory


async def test_file_uri_is_copied_and_made_executable(make_launcher, source: Path) -> None:
    (source / "tool.sh").write_bytes(SCRIPT)
    launcher, updates = await make_launcher(policy=TRUSTED)
    artifact = Artifact(f"file://{source}/tool.sh", extract=False, executable=True)
    launcher.launch("f1", spec(cmd="./tool.sh", artifacts=(artifact,)))
    assert (await updates.final("f1")).status is S.TASK_FINISHED


async def test_without_executable_the_file_is_not_executable(make_launcher, source: Path) -> None:
    (source / "tool.sh").write_bytes(SCRIPT)
    launcher, updates = await make_launcher(policy=TRUSTED)
    artifact = Artifact(f"file://{source}/tool.sh", extract=False)
    launcher.launch("f2", spec(cmd="test -x tool.sh", artifacts=(artifact,)))
    assert (await updates.final("f2")).exit_code == 1


@pytest.mark.parametrize("maker,name", [(make_tar_gz, "bundle.tar.gz"), (make_zip, "bundle.zip")])
async def test_an_archive_is_extracted_with_its_modes(
    make_launcher, sandbox_root: Path, source: Path, maker, name: str
) -> None:
    maker(source / name, {"bin/tool.sh": (SCRIPT, 0o755), "data.txt": (b"payload\n", 0o644)})
    launcher, updates = await make_launcher(policy=TRUSTED)
    artifact = Artifact(f"file://{source}/{name}")
    launcher.launch("x1", spec(cmd="bin/tool.sh && cat data.txt", artifacts=(artifact,)))
    assert (await updates.final("x1")).status is S.TASK_FINISHED
    assert (sandbox_root / "x1" / "stdout").read_text() == "tool ran\npayload\n"


@pytest.mark.parametrize("maker,name", [(make_tar_gz, "evil.tgz"), (make_zip, "evil.zip")])
async def test_an_archive_escaping_the_sandbox_fails_the_task(
    make_launcher, sandbox_root: Path, source: Path, maker, name: str
) -> None:
    maker(source / name, {"../../escaped.txt": (b"x", 0o644)})
    uri = f"file://{source}/{name}"
    launcher, updates = await make_launcher(policy=TRUSTED)
    launcher.launch("x2", spec(cmd="true", artifacts=(Artifact(uri),)))
    final = await updates.final("x2")
    assert final.status is S.TASK_FAILED
    assert uri in (final.message or "")
    assert not list(sandbox_root.parent.rglob("escaped.txt"))


async def test_a_missing_file_fails_the_task_naming_the_uri(make_launcher, source: Path) -> None:
    uri = f"file://{source}/absent.bin"
    launcher, updates = await make_launcher(policy=TRUSTED)
    launcher.launch("m1", spec(cmd="true", artifacts=(Artifact(uri),)))
    final = await updates.final("m1")
    assert final.status is S.TASK_FAILED
    assert uri in (final.message or "")
    assert updates.statuses("m1") == [S.TASK_STAGING, S.TASK_FAILED]


@pytest.fixture
async def http_base(aiohttp_server) -> str:
    async def tool(request: web.Request) -> web.Response:
        return web.Response(body=SCRIPT)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response(body=SCRIPT)

    app = web.Application()
    app.router.add_get("/files/tool.sh", tool)
    app.router.add_get("/files/slow.sh", slow)
    server = await aiohttp_server(app, host="127.0.0.1")
    return f"http://127.0.0.1:{server.port}"


async def test_an_http_artifact_is_downloaded(make_launcher, http_base: str) -> None:
    launcher, updates = await make_launcher(policy=TRUSTED)
    artifact = Artifact(f"{http_base}/files/tool.sh", executable=True)
    launcher.launch("h1", spec(cmd="./tool.sh", artifacts=(artifact,)))
    assert (await updates.final("h1")).status is S.TASK_FINISHED


async def test_an_http_404_fails_the_task_naming_the_uri(make_launcher, http_base: str) -> None:
    uri = f"{http_base}/files/missing.sh"
    launcher, updates = await make_launcher(policy=TRUSTED)
    launcher.launch("h2", spec(cmd="true", artifacts=(Artifact(uri),)))
    final = await updates.final("h2")
    assert final.status is S.TASK_FAILED
    assert uri in (final.message or "")
    assert "404" in (final.message or "")


async def test_an_oversized_download_fails_the_task(make_launcher, http_base: str) -> None:
    launcher, updates = await make_launcher(artifact_max_bytes=8, policy=TRUSTED)
    launcher.launch("h3", spec(cmd="true", artifacts=(Artifact(f"{http_base}/files/tool.sh"),)))
    final = await updates.final("h3")
    assert final.status is S.TASK_FAILED
    assert "larger than" in (final.message or "")


async def test_a_kill_while_fetching_ends_the_task_before_it_starts(
    make_launcher, sandbox_root: Path, http_base: str
) -> None:
    launcher, updates = await make_launcher(policy=TRUSTED)
    launcher.launch("h4", spec(cmd="true", artifacts=(Artifact(f"{http_base}/files/slow.sh"),)))
    await updates.reached("h4", S.TASK_STAGING)
    launcher.kill("h4")
    assert (await updates.final("h4", timeout=2)).status is S.TASK_KILLED
    assert updates.statuses("h4") == [S.TASK_STAGING, S.TASK_KILLED]
    assert not (sandbox_root / "h4" / "process.json").exists()


async def test_a_download_is_bounded_in_time(make_launcher, http_base: str) -> None:
    launcher, updates = await make_launcher(artifact_timeout_s=0.2, policy=TRUSTED)
    uri = f"{http_base}/files/slow.sh"
    launcher.launch("h5", spec(cmd="true", artifacts=(Artifact(uri),)))
    final = await updates.final("h5", timeout=2)
    assert final.status is S.TASK_FAILED
    assert final.message == f"cannot fetch artifact '{uri}': timed out after 0.2 s"
