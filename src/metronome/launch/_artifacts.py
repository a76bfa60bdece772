"""Fetching a task's artifacts into its sandbox before the command starts.

What may be fetched is the operator's choice: `file://` only from `--artifact-dirs`, and no
loopback or link-local destination (the scheduler host's own services, a cloud's metadata
address) unless `--allow-loopback-artifacts`; every redirect is checked as the first URI is.
A `file://` source is read by a process of the task's user, so it is only what that user may
read. Everything lands in a sandbox the server still owns: the task's user gets it only once
all is fetched (`Sandbox.hand_over`), so no other task of that user can plant links meanwhile.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import shutil
import socket
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from metronome.launch._confine import switch_user
from metronome.launch._launcher import TaskSetupError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from metronome.launch._policy import RunAs
    from metronome.model import Artifact

logger = logging.getLogger(__name__)

_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_CHUNK = 1 << 16
_MAX_REDIRECTS = 10
_LOOPBACK_RULE = "loopback and link-local destinations are refused (--allow-loopback-artifacts)"


class _FetchError(Exception):
    """One artifact failed; the message is the reason, without the URI."""


class _Refused(OSError):
    """A destination the rules refuse (an OSError, so that aiohttp's connector passes it on)."""


@dataclass(frozen=True, slots=True)
class ArtifactRules:
    """Where artifacts may come from."""

    dirs: tuple[Path, ...] = ()
    """`file://` artifacts only from under these directories."""
    allow_loopback: bool = False

    def check_file(self, path: str) -> None:
        real = os.path.realpath(path)
        for directory in self.dirs:
            if Path(real).is_relative_to(os.path.realpath(directory)):
                return
        allowed = ", ".join(str(d) for d in self.dirs) or "none configured"
        msg = f"file:// artifacts are allowed only under --artifact-dirs ({allowed})"
        raise _FetchError(msg)

    def check_address(self, host: str, address: str) -> None:
        if self.allow_loopback:
            return
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        for candidate in (ip, mapped):
            if candidate is not None and (
                candidate.is_loopback or candidate.is_link_local or candidate.is_unspecified
            ):
                msg = f"host {host} is {address}: {_LOOPBACK_RULE}"
                raise _Refused(msg)


class _CheckedResolver(AbstractResolver):
    """Resolves as aiohttp would, then refuses a name with any address the rules refuse, so that
    the address connected to is the one checked (no DNS rebinding in between)."""

    def __init__(self, rules: ArtifactRules) -> None:
        self._rules = rules
        self._resolver = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._resolver.resolve(host, port, family)
        for result in results:
            self._rules.check_address(host, result["host"])
        return results

    async def close(self) -> None:
        await self._resolver.close()


class ArtifactFetcher:
    """Downloads (http/https) or copies (file://) artifacts, then unpacks or marks them executable.

    Every download is bounded in time and size so a slow or huge source cannot hold a task forever.
    """

    def __init__(
        self, *, timeout_s: float, max_bytes: int, rules: ArtifactRules | None = None
    ) -> None:
        self.rules = rules or ArtifactRules()
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._timeout_s = timeout_s
        self._max_bytes = max_bytes
        self._session: aiohttp.ClientSession | None = None

    async def fetch_all(
        self, artifacts: Iterable[Artifact], dest: Path, run_as: RunAs | None = None
    ) -> None:
        """Fetch each artifact into `dest`, in order; `file://` ones read as `run_as`.

        Raises:
            TaskSetupError: an artifact could not be fetched; the message names its URI.
        """
        for artifact in artifacts:
            try:
                await self._fetch(artifact, dest, run_as)
            except (_FetchError, _Refused) as exc:
                msg = f"cannot fetch artifact '{artifact.uri}': {exc}"
                raise TaskSetupError(msg) from exc
            except (OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
                msg = f"cannot fetch artifact '{artifact.uri}': {exc}"
                raise TaskSetupError(msg) from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _fetch(self, artifact: Artifact, dest: Path, run_as: RunAs | None) -> None:
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
            if parts.netloc not in ("", "localhost"):
                msg = f"a file:// URI names no other host than this one, not '{parts.netloc}'"
                raise _FetchError(msg)
            self.rules.check_file(unquote(parts.path))
            if run_as is None:
                await loop.run_in_executor(None, shutil.copyfile, unquote(parts.path), target)
            else:
                await _copy_as(run_as, unquote(parts.path), target)
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
            connector = aiohttp.TCPConnector(resolver=_CheckedResolver(self.rules))
            self._session = aiohttp.ClientSession(timeout=self._timeout, connector=connector)
        try:
            async with await self._get(self._session, uri) as response:
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
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, _Refused):
                raise _FetchError(str(exc.os_error)) from exc
            raise _FetchError(str(exc) or type(exc).__name__) from exc
        except aiohttp.ClientError as exc:
            raise _FetchError(str(exc) or type(exc).__name__) from exc

    async def _get(self, session: aiohttp.ClientSession, uri: str) -> aiohttp.ClientResponse:
        """GET `uri`, following redirects by hand: an IP literal skips the resolver, so each
        hop's host is checked here too."""
        for _ in range(_MAX_REDIRECTS + 1):
            host = urlsplit(uri).hostname or ""
            try:
                ipaddress.ip_address(host)
            except ValueError:
                pass  # a name: `_CheckedResolver` checks what it resolves to
            else:
                self.rules.check_address(host, host)
            response = await session.get(uri, allow_redirects=False)
            location = response.headers.get("Location")
            if response.status not in (301, 302, 303, 307, 308) or location is None:
                return response
            response.release()
            uri = urljoin(uri, location)
            if urlsplit(uri).scheme not in ("http", "https"):
                msg = f"redirected to a URI that is not http(s): {uri}"
                raise _FetchError(msg)
        msg = f"more than {_MAX_REDIRECTS} redirects"
        raise _FetchError(msg)


async def _copy_as(run_as: RunAs, source: str, target: Path) -> None:
    """Copy `source` to `target` through `cat` run as `run_as`: read with that user's rights."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(target, flags, 0o644)
    try:
        reader = await asyncio.create_subprocess_exec(
            *switch_user(run_as),
            "cat",
            "--",
            source,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=fd,
            stderr=asyncio.subprocess.PIPE,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
        )
    finally:
        os.close(fd)
    _, err = await reader.communicate()
    if reader.returncode != 0:
        reason = err.decode(errors="replace").strip().rpartition(": ")[2] or "unreadable"
        msg = f"user '{run_as.name}' cannot read {source}: {reason}"
        raise _FetchError(msg)


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
