"""What a manual run may change for itself alone: environment, command or arguments."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from metronome.model._job import RunSpec


@dataclass(frozen=True, slots=True)
class RunOverrides:
    """A manual run's changes to its job's run spec (who asked is the run's `triggered_by`).

    `env` entries are merged over the job's environment; `cmd` or `args` replaces the job's
    command (at most one of the two is set).
    """

    env: dict[str, str] = field(default_factory=dict)
    cmd: str | None = None
    args: tuple[str, ...] | None = None

    @property
    def changes_command(self) -> bool:
        return self.cmd is not None or self.args is not None

    def applied_to(self, spec: RunSpec) -> RunSpec:
        """The run spec this run executes."""
        env = {**spec.env, **self.env}
        if self.cmd is not None:
            return dataclasses.replace(spec, env=env, cmd=self.cmd, args=None)
        if self.args is not None:
            return dataclasses.replace(spec, env=env, cmd=None, args=self.args)
        return dataclasses.replace(spec, env=env)
