"""What actors/_runtime.py relies on in pykka's private surface: an upgrade that changes it fails.

The pooled runtime copies the body of `pykka.Actor._actor_loop_running` into `_handle_envelope`
and overrides the loop's private steps, so pykka is pinned; bumping the pin means reading the new
pykka, adapting the runtime, and updating the fingerprints below.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import textwrap

import pykka
from pykka._envelope import Envelope

PINNED = "4.5.0"

LOOP_BODY_SHA256 = "226670085f0c989497b438b01649c9646e99685e524121f5bef4d1af6358a8ae"

INIT_SHA256 = "55a62439fa4ea1f5427e9305caebb07ffd5f3f808095afc12ec6420e57278528"
"""`pykka.Actor.__init__`, whose fields `PooledActor.__init__` sets itself instead of calling it."""

PRIVATE_SIGNATURES = {
    "_actor_loop_setup": "(self) -> 'None'",
    "_actor_loop_teardown": "(self) -> 'None'",
    "_handle_receive": "(self, message: 'Any') -> 'Any'",
    "_handle_failure": (
        "(self, exception_type: 'type[BaseException] | None', exception_value: "
        "'BaseException | None', traceback: 'TracebackType | None') -> 'None'"
    ),
    "_stop": "(self) -> 'None'",
    "_create_actor_inbox": "() -> 'ActorInbox'",
    "_create_future": "() -> 'Future[Any]'",
    "_start_actor_loop": "(self) -> 'None'",
}


def test_pykka_is_the_pinned_version() -> None:
    assert importlib.metadata.version("pykka") == PINNED


def test_the_private_methods_the_runtime_overrides_keep_their_signatures() -> None:
    found = {
        name: str(inspect.signature(getattr(pykka.Actor, name))) for name in PRIVATE_SIGNATURES
    }
    assert found == PRIVATE_SIGNATURES


def test_the_loop_body_that_handle_envelope_follows_is_unchanged() -> None:
    source = textwrap.dedent(inspect.getsource(pykka.Actor._actor_loop_running))
    assert hashlib.sha256(source.encode()).hexdigest() == LOOP_BODY_SHA256


def test_the_init_whose_fields_pooled_actors_set_is_unchanged() -> None:
    source = textwrap.dedent(inspect.getsource(pykka.Actor.__init__))
    assert hashlib.sha256(source.encode()).hexdigest() == INIT_SHA256


def test_envelopes_carry_a_message_and_a_reply_future() -> None:
    envelope = Envelope("hello", reply_to=None)
    assert (envelope.message, envelope.reply_to) == ("hello", None)
