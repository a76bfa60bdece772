"""Schemathesis hooks for the live pass (loaded through SCHEMATHESIS_HOOKS in its own process).

Every request carries the credentials of `METRONOME_TEST_AUTHORIZATION`, and every third one
also carries one of the classes of input that once answered 500 (issue 19), in turn: an integer
longer than Python converts, a lone surrogate, a body that is not what its Content-Encoding
says, an Authorization header beyond ASCII. The check `hostile_input_is_refused` asks that each
of those gets a 4xx JSON answer.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
from types import UnionType
from typing import TYPE_CHECKING, Any

import schemathesis
from schemathesis.core import NOT_SET

if TYPE_CHECKING:
    from collections.abc import Callable

    from schemathesis import Case, CheckContext, HookContext, Response

CLASS_HEADER = "X-Hostile-Input"
"""Names the class a request stands for; the server ignores it, the check reads it."""
OPEN_PATHS = frozenset({"/ping", "/metrics", "/v1/metrics"})
"""Paths that never look at credentials (metrics are open unless the auth file says not)."""
_PLACEHOLDER = "hostile-input-placeholder"

_calls = itertools.count()


def _replace_first(node: Any, kind: type | UnionType, value: Any) -> bool:
    """Put `value` in place of the first `kind` inside `node` (booleans are not numbers)."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in list(items):
        if isinstance(child, kind) and not isinstance(child, bool):
            node[key] = value
            return True
        if isinstance(child, dict | list) and _replace_first(child, kind, value):
            return True
    return False


def _body_with(case: Case, kind: type | UnionType, literal: str) -> bytes:
    """The case's JSON body with `literal` (JSON text) in place of its first `kind` value.

    Written as bytes handed to the transport: the case itself keeps its body, which
    schemathesis revalidates (and its validator cannot take a lone surrogate).
    """
    body = copy.deepcopy(case.body)
    if not (isinstance(body, dict | list) and _replace_first(body, kind, _PLACEHOLDER)):
        body = {**body, "hostile": _PLACEHOLDER} if isinstance(body, dict) else _PLACEHOLDER
    return json.dumps(body).replace(json.dumps(_PLACEHOLDER), literal).encode()


def _long_integer(case: Case, kwargs: dict[str, Any]) -> None:
    # One digit more than Python converts from text by default.
    kwargs["data"] = _body_with(case, int | float, "1" * 4301)


def _lone_surrogate(case: Case, kwargs: dict[str, Any]) -> None:
    kwargs["data"] = _body_with(case, str, '"\\udc00"')


def _false_encoding(case: Case, kwargs: dict[str, Any]) -> None:
    assert case.headers is not None
    case.headers["Content-Encoding"] = "gzip"  # the body is sent as plain JSON


_BODY_CLASSES: dict[str, Callable[[Case, dict[str, Any]], None]] = {
    "long-integer": _long_integer,
    "lone-surrogate": _lone_surrogate,
    "false-encoding": _false_encoding,
}
_CLASSES = [*_BODY_CLASSES, "non-ascii-authorization"]


@schemathesis.hook
def before_call(context: HookContext, case: Case, kwargs: dict[str, Any]) -> None:
    case.headers = {
        **(case.headers or {}),
        "Authorization": os.environ["METRONOME_TEST_AUTHORIZATION"],
    }
    call = next(_calls)
    if call % 3:
        return
    name = _CLASSES[call // 3 % len(_CLASSES)]
    if name in _BODY_CLASSES:
        if case.body is NOT_SET:
            return
        _BODY_CLASSES[name](case, kwargs)
    elif case.path in OPEN_PATHS:
        return
    else:
        case.headers["Authorization"] = "Basic \u00e9\u00ff"
    case.headers[CLASS_HEADER] = name


@schemathesis.check
def hostile_input_is_refused(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    name = (case.headers or {}).get(CLASS_HEADER)
    if name is None:
        return None
    status = response.status_code
    content_type = response.headers.get("content-type", [""])[0]
    if not 400 <= status < 500 or content_type != "application/json":
        msg = f"{name} input answered {status} {content_type}, not a 4xx JSON error"
        raise AssertionError(msg)
    return True
