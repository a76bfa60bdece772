"""The optional body of POST /v1/jobs/{id}/runs: what this run alone changes of its job."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, post_load, validates_schema

from metronome.api._schemas_fields import Array, StrictSchema, String, StringMap
from metronome.model import RunOverrides


class RunOverridesSchema(StrictSchema):
    """`env` is merged over the job's; `cmd` or `args` replaces its command. Anything else in the
    body is an error, never silently ignored."""

    env = StringMap()
    cmd = String(min_length=1)
    args = Array(String())

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _one_command(self, data: dict[str, Any], original: dict[str, Any], **_: Any) -> None:
        if "cmd" in original and "args" in original:
            raise ValidationError("It is invalid to supply both cmd and args in the same run.")

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> RunOverrides:
        return RunOverrides(**data)
