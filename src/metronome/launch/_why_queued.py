"""Why a queued task is not placed: the constraint or resource that does not fit, in words an
operator can act on (`GET /v1/queue?embed=reason`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from metronome.launch import _mesos_offers, _placement

if TYPE_CHECKING:
    from collections.abc import Mapping

    from metronome.launch._launcher import HostResources
    from metronome.model import Constraint, RunSpec

_EPSILON = 1e-9
_NAMES = ("cpus", "mem", "disk")


def _text(constraint: Constraint) -> str:
    return f"{constraint.attribute} {constraint.operator.value} {constraint.value}"


def _amounts(resources: HostResources) -> dict[str, float]:
    return {"cpus": resources.cpus, "mem": resources.mem, "disk": resources.disk}


def _amount(value: float) -> str:
    """`64`, `0.5`: whole amounts without a fraction or an exponent."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _short(wanted: dict[str, float], have: dict[str, float], what: str) -> list[str]:
    return [
        f"{name} {_amount(wanted[name])} wanted, {_amount(have[name])} {what}"
        for name in _NAMES
        if wanted[name] > have[name] + _EPSILON
    ]


def on_this_host(
    spec: RunSpec, attributes: Mapping[str, str], capacity: HostResources, free: HostResources
) -> str:
    """Why the local launcher holds a queued task."""
    for constraint in spec.constraints:
        if not _placement.constraints_match([constraint], attributes):
            actual = attributes.get(constraint.attribute)
            shown = "unset" if actual is None else repr(actual)
            return f"never fits: constraint {_text(constraint)} (this host: {shown})"
    wanted = _amounts(_placement.demand(spec))
    over = _short(wanted, _amounts(capacity), "on this host in all")
    if over:
        return "never fits: " + "; ".join(over)
    busy = _short(wanted, _amounts(free), "free now")
    if busy:
        return "waiting for resources: " + "; ".join(busy)
    return "waiting behind earlier runs in the queue"


def on_mesos(spec: RunSpec, offers: list[dict[str, Any]], role: str) -> str:
    """Why the Mesos launcher holds a queued task, judged on the last offers it received."""
    if not offers:
        return "waiting for an offer: none received since the launcher started"
    for constraint in spec.constraints:
        if not any(_mesos_offers.constraint_matches(constraint, offer) for offer in offers):
            return f"no offer fits: constraint {_text(constraint)} matches none of the last offers"
    fitting = [o for o in offers if _mesos_offers.constraints_match(spec.constraints, o)]
    if not fitting:
        return "no offer fits: no offer of the last ones matches all of its constraints"
    spaces = [_mesos_offers.OfferSpace(offer, role) for offer in fitting]
    largest = {name: max(space.total(name) for space in spaces) for name in _NAMES}
    demand = _placement.demand(spec)
    over = _short(_amounts(demand), largest, "in the largest of the last offers")
    if over:
        return "no offer fits: " + "; ".join(over)
    if all(space.take(demand) is None for space in spaces):
        wanted = ", ".join(f"{name} {_amount(n)}" for name, n in _amounts(demand).items())
        return f"no offer fits: none of the last offers has {wanted} together"
    return "waiting for the next offer (an earlier run took the last one)"
