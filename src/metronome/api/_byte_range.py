"""The `Range: bytes=...` request header (RFC 9110 §14): one range, from a start or a suffix."""

from __future__ import annotations

import re
from dataclasses import dataclass

from metronome.api._http import BadRequest

_SPEC = re.compile(r"bytes=\s*(\d*)\s*-\s*(\d*)\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ByteRange:
    """`first`-`last` inclusive (`last` None: to the end), or the last `suffix` bytes."""

    first: int | None = None
    last: int | None = None
    suffix: int | None = None

    def within(self, size: int) -> tuple[int, int] | None:
        """The [start, stop) this range covers in `size` bytes; None if it covers none."""
        if self.suffix is not None:
            return (max(0, size - self.suffix), size) if self.suffix and size else None
        assert self.first is not None
        if self.first >= size:
            return None
        return self.first, size if self.last is None else min(self.last + 1, size)

    def start_in(self, size: int) -> int:
        """Where a follower of a growing file starts: the range's first byte, even past `size`."""
        if self.suffix is not None:
            return max(0, size - self.suffix)
        assert self.first is not None
        return self.first


def parse_range(header: str | None) -> ByteRange | None:
    """The header's range; None without one.

    Raises:
        BadRequest: not one range of bytes (several ranges are not served).
    """
    if header is None:
        return None
    match = _SPEC.fullmatch(header.strip())
    first, last = (match.group(1), match.group(2)) if match else ("", "")
    if match is None or not (first or last) or (first and last and int(first) > int(last)):
        msg = f"Range header {header!r}: expected one range, bytes=FIRST-[LAST] or bytes=-SUFFIX"
        raise BadRequest(msg)
    if not first:
        return ByteRange(suffix=int(last))
    return ByteRange(int(first), int(last) if last else None)
