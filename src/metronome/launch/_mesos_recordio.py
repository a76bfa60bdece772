"""RecordIO framing of the Mesos event stream: `<byte length>\n<JSON>` records, back to back."""

from __future__ import annotations

import json
from typing import Any

from metronome.launch._launcher import LaunchError


class RecordIOError(LaunchError):
    """The stream is not valid RecordIO (a bad length or a record that is not JSON)."""


def encode(event: Any) -> bytes:
    """One JSON record with its length prefix; the length counts UTF-8 bytes, not characters."""
    data = json.dumps(event, separators=(",", ":")).encode()
    return b"%d\n%s" % (len(data), data)


class RecordIODecoder:
    """Turns arbitrarily chunked bytes into decoded JSON records.

    Chunk boundaries are independent of record boundaries (mesos-protocol.md §1.3), so bytes are
    buffered until a whole record is there.
    """

    _MAX_HEADER = 20  # a uint64 in decimal

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._size: int | None = None

    def feed(self, chunk: bytes) -> list[Any]:
        """Add bytes; return every record they complete, in order.

        Raises:
            RecordIOError: a length is not a positive decimal number, or a record is not JSON.
        """
        self._buffer += chunk
        records: list[Any] = []
        while True:
            if self._size is None:
                newline = self._buffer.find(b"\n")
                if newline < 0:
                    if len(self._buffer) > self._MAX_HEADER:
                        msg = f"RecordIO length too long: {bytes(self._buffer[:40])!r}"
                        raise RecordIOError(msg)
                    return records
                header = bytes(self._buffer[:newline]).strip()
                del self._buffer[: newline + 1]
                if not header:
                    continue  # tolerated: blank lines between records
                if not header.isdigit() or int(header) == 0:
                    msg = f"bad RecordIO length {header[:40]!r}"
                    raise RecordIOError(msg)
                self._size = int(header)
            if len(self._buffer) < self._size:
                return records
            data = bytes(self._buffer[: self._size])
            del self._buffer[: self._size]
            self._size = None
            try:
                records.append(json.loads(data))
            except ValueError as exc:
                msg = f"RecordIO record is not JSON: {data[:80]!r}"
                raise RecordIOError(msg) from exc
