"""Many ZooKeeper reads in one request: ZooKeeper's `multiRead` (3.6+), which kazoo lacks.

A new leader reads every job's spec, runs and history: tens of thousands of nodes. Sent one by
one, each read costs kazoo a queued request, a wake-up of its connection thread and a reply
parsed in Python (about 100 us on two cores, docs/benchmarks.md); a multiRead of a few hundred
nodes costs that once. Each read in it succeeds or fails on its own (a node deleted since its
listing is a `NoNodeError` result, not a failed request).

The request goes through kazoo's connection like any other (`KazooClient._call`, the one
private kazoo name used here): it is framed, queued, answered and retried the same way.
"""

from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING, Any

from kazoo import exceptions as kz
from kazoo.protocol.serialization import (
    GetChildren,
    GetData,
    MultiHeader,
    ZnodeStat,
    int_struct,
    multiheader_struct,
    read_buffer,
    read_string,
    stat_struct,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from kazoo.client import KazooClient
    from kazoo.handlers.threading import AsyncResult

MULTI_READ_OP = 22
"""ZooDefs.OpCode.multiRead."""
_ERROR_OP = -1


class _MultiRead(namedtuple("_MultiRead", "operations")):
    """Kazoo's request protocol: `type`, `serialize()`, `deserialize(buffer, offset)`."""

    type = MULTI_READ_OP

    def serialize(self) -> bytearray:
        body = bytearray()
        for op in self.operations:
            body += MultiHeader(op.type, False, -1).serialize() + op.serialize()
        return body + bytes(multiheader_struct.pack(-1, True, -1))

    @classmethod
    def deserialize(cls, buffer: bytes, offset: int) -> list[Any]:
        results: list[Any] = []
        header, offset = MultiHeader.deserialize(buffer, offset)
        while not header.done:
            if header.type == GetData.type:
                data, offset = read_buffer(buffer, offset)
                stat = ZnodeStat._make(stat_struct.unpack_from(buffer, offset))
                offset += stat_struct.size
                results.append((data or b"", stat))
            elif header.type == GetChildren.type:
                count = int_struct.unpack_from(buffer, offset)[0]
                offset += int_struct.size
                children = []
                for _ in range(max(count, 0)):
                    child, offset = read_string(buffer, offset)
                    children.append(child)
                results.append(children)
            elif header.type == _ERROR_OP:
                code = int_struct.unpack_from(buffer, offset)[0]
                offset += int_struct.size
                results.append(kz.EXCEPTIONS[code]())
            else:
                msg = f"unexpected result type {header.type} in a multiRead response"
                raise ValueError(msg)
            header, offset = MultiHeader.deserialize(buffer, offset)
        return results


def get_data_many(client: KazooClient, paths: Sequence[str]) -> AsyncResult:
    """One request reading `paths`: `(data, stat)` or a `ZookeeperError` per path, in order."""
    return _send(client, [GetData(client.chroot + path, None) for path in paths])


def get_children_many(client: KazooClient, paths: Sequence[str]) -> AsyncResult:
    """One request listing `paths`: a list of names or a `ZookeeperError` per path, in order."""
    return _send(client, [GetChildren(client.chroot + path, None) for path in paths])


def _send(client: KazooClient, operations: list[Any]) -> AsyncResult:
    result = client.handler.async_result()
    client._call(_MultiRead(tuple(operations)), result)
    return result


__all__ = ["MULTI_READ_OP", "get_children_many", "get_data_many"]
