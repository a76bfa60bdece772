"""Request bodies sent with a `Content-Encoding`, decoded here rather than by aiohttp.

aiohttp's own decoder accepts a gzip body cut short: one stray byte decodes to nothing and a
POST that takes an optional body went ahead as if none had been sent. The server therefore runs
with `auto_decompress=False` (see `SERVER_LIMITS`) and a body is accepted only when its
compressed stream is whole, with nothing after it.
"""

from __future__ import annotations

import zlib
from typing import Final

_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS
_WBITS: Final = {
    "gzip": _GZIP_WBITS,
    "x-gzip": _GZIP_WBITS,
    "deflate": zlib.MAX_WBITS,
}
"""zlib's window bits per encoding; `deflate` is the zlib format (RFC 9110 §8.4.1.2)."""

_RAW_DEFLATE_WBITS: Final = -zlib.MAX_WBITS
"""Some clients send `deflate` as a bare deflate stream, without the zlib header (aiohttp and
browsers accept it; so do we)."""


class BodyEncodingError(ValueError):
    """The body is not what its `Content-Encoding` says."""


class BodyTooLarge(ValueError):
    """The body decodes to more than the limit (a small compressed body can expand a lot)."""


def decode_body(raw: bytes, encoding: str, limit: int) -> bytes:
    """`raw` decoded from `encoding` (a Content-Encoding value; "" or identity: as it is).

    Raises:
        BodyEncodingError: an encoding the server does not decode, data that is not of the
            encoding, a stream cut short, or data after its end.
        BodyTooLarge: more than `limit` bytes once decoded.
    """
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw
    wbits = _WBITS.get(encoding)
    if wbits is None:
        msg = f"unsupported encoding (supported: {', '.join(_WBITS)}, identity)"
        raise BodyEncodingError(msg)
    if encoding == "deflate" and raw and raw[0] & 0x0F != 8:  # not a zlib header (RFC 1950)
        wbits = _RAW_DEFLATE_WBITS
    decoder = zlib.decompressobj(wbits)
    try:
        data = decoder.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise BodyEncodingError(str(exc)) from None
    if len(data) > limit:
        msg = f"it decodes to more than {limit} bytes"
        raise BodyTooLarge(msg)
    if not decoder.eof:
        raise BodyEncodingError("the compressed data ends before its stream does")
    if decoder.unused_data:
        raise BodyEncodingError("data follows the end of the compressed stream")
    return data
