"""Placement on this host: constraint matching and resource admission."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from metronome.launch._launcher import HostResources
from metronome.model import ConstraintOperator

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from metronome.model import Constraint, RunSpec


def constraints_match(constraints: Iterable[Constraint], attributes: Mapping[str, str]) -> bool:
    """Whether a host with these attributes satisfies every constraint.

    A constraint without a value is ignored; an attribute the host lacks fails the match.
    """
    for constraint in constraints:
        if constraint.value is None:
            continue
        actual = attributes.get(constraint.attribute)
        if actual is None:
            return False
        if constraint.operator is ConstraintOperator.IS:
            ok = actual == constraint.value
        else:
            # An invalid pattern can never match; the API rejects most of them up front.
            try:
                matched = re.fullmatch(constraint.value, actual) is not None
            except re.error:
                return False
            ok = matched if constraint.operator is ConstraintOperator.LIKE else not matched
        if not ok:
            return False
    return True


def demand(spec: RunSpec) -> HostResources:
    return HostResources(cpus=spec.cpus, mem=spec.mem, disk=spec.disk)


class ResourcePool:
    """The host's capacity and what running tasks hold of it."""

    def __init__(self, capacity: HostResources) -> None:
        self._capacity = capacity
        self._used = HostResources(0.0, 0.0, 0.0)

    @property
    def capacity(self) -> HostResources:
        return self._capacity

    @property
    def free(self) -> HostResources:
        return HostResources(
            self._capacity.cpus - self._used.cpus,
            self._capacity.mem - self._used.mem,
            self._capacity.disk - self._used.disk,
        )

    def could_ever_fit(self, wanted: HostResources) -> bool:
        return _fits(wanted, self._capacity)

    def try_reserve(self, wanted: HostResources) -> bool:
        """Reserve `wanted` if it fits in what is free now."""
        if not _fits(wanted, self.free):
            return False
        self.reserve(wanted)
        return True

    def reserve(self, held: HostResources) -> None:
        """Count `held` as used even beyond capacity (a task adopted after a restart)."""
        self._used = HostResources(
            self._used.cpus + held.cpus, self._used.mem + held.mem, self._used.disk + held.disk
        )

    def release(self, held: HostResources) -> None:
        self._used = HostResources(
            max(0.0, self._used.cpus - held.cpus),
            max(0.0, self._used.mem - held.mem),
            max(0.0, self._used.disk - held.disk),
        )


# Float sums of task demands drift (0.1 + 0.2 > 0.3); a tiny tolerance keeps exact fits fitting.
_EPSILON = 1e-9


def _fits(wanted: HostResources, free: HostResources) -> bool:
    return (
        wanted.cpus <= free.cpus + _EPSILON
        and wanted.mem <= free.mem + _EPSILON
        and wanted.disk <= free.disk + _EPSILON
    )
