"""Fetching a task's artifacts into its sandbox before the command starts."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import aiohttp

from metronome.launch._launcher import TaskSetupError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from metronome.model import Artifact

logger = logging.getLogger(__name__)

_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_CHUNK = 1 << 16


class _FetchError(Exception):
    """One artifact failed; the message is the reason, without the URI."""


class ArtifactFetcher:
    """Downloads (http/https) or copies (file://) artifacts, then unpacks or marks them executable.

    Every download is bounded in time and size so a slow or huge source cannot hold a task forever.
    """

    def __init__(self, *, timeout_s: float, max_bytes: int) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._timeout_s = timeout_s
        self._max_bytes = max_bytes
        self._session: aiohttp.ClientSession | None = None

    async def fetch_all(self, artifacts: Iterable[Artifact], dest: Path) -> None:
        """Fetch each artifact into `dest`, in order.

        Raises:
            TaskSetupError: an artifact could not be fetched; the message names its URI.
        """
        for artifact in artifacts:
            try:
                await self._fetch(artifact, dest)
            except (_FetchError, OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
                msg = f"cannot fetch artifact '{artifact.uri}': {exc}"
                raise TaskSetupError(msg) from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _fetch(self, artifact: Artifact, dest: Path) -> None:
        parts = urlsplit(artifact.uri)
        name = PurePosixPath(unquote(parts.path)).name
        if name in ("", ".", ".."):
            msg = "the URI names no file"
            raise _FetchError(msg)
        target = dest / name
        loop = asyncio.get_running_loop()
        if parts.scheme in ("http", "https"):
            await self._download(artifact.uri, target)
        elif parts.scheme in ("file", ""):
            await loop.run_in_executor(None, shutil.copyfile, unquote(parts.path), target)
        else:
            msg = f"unsupported URI scheme '{parts.scheme}'"
            raise _FetchError(msg)
        if artifact.extract and _is_archive(name):
            await loop.run_in_executor(None, _extract, target, dest)
        if artifact.executable:
            target.chmod(target.stat().st_mode | 0o111)
        logger.debug("fetched artifact %s into %s", artifact.uri, dest)

    async def _download(self, uri: str, target: Path) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.get(uri) as response:
                if response.status >= 400:
                    msg = f"HTTP {response.status} {response.reason}"
                    raise _FetchError(msg)
                if (response.content_length or 0) > self._max_bytes:
                    msg = f"larger than the {self._max_bytes} bytes allowed"
                    raise _FetchError(msg)
                size = 0
                # Chunks go to the page cache: writes this small do not stall the loop.
                with target.open("wb") as out:
                    async for chunk in response.content.iter_chunked(_CHUNK):
                        size += len(chunk)
                        if size > self._max_bytes:
                            msg = f"larger than the {self._max_bytes} bytes allowed"
                            raise _FetchError(msg)
                        out.write(chunk)
        except TimeoutError as exc:
            msg = f"timed out after {self._timeout_s:g} s"
            raise _FetchError(msg) from exc
        except aiohttp.ClientError as exc:
            raise _FetchError(str(exc) or type(exc).__name__) from exc


def _is_archive(name: str) -> bool:
    return name.lower().endswith((*_TAR_SUFFIXES, ".zip"))


def _extract(archive: Path, dest: Path) -> None:
    """Unpack into `dest`, refusing any member that would land outside it."""
    if archive.name.lower().endswith(_TAR_SUFFIXES):
        with tarfile.open(archive) as tar:
            # The "data" filter rejects absolute paths, `..`, links out of dest and device files.
            tar.extractall(dest, filter="data")
        return
    root = dest.resolve()
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if not (root / info.filename).resolve().is_relative_to(root):
                msg = f"archive member '{info.filename}' would land outside the sandbox"
                raise _FetchError(msg)
        for info in zf.infolist():
            path = Path(zf.extract(info, dest))
            mode = (info.external_attr >> 16) & 0o777
            if mode & 0o111 and not info.is_dir():
                path.chmod(path.stat().st_mode | 0o111)
