"""Offers: placement constraints as Marathon evaluates them, and carving task resources out of
them."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

from metronome.model import ConstraintOperator

if TYPE_CHECKING:
    from collections.abc import Iterable

    from metronome.launch._launcher import HostResources
    from metronome.model import Constraint

_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_PRECISION = Decimal("0.001")  # Mesos keeps three decimals of scalar resources (§3.1)


def format_scalar(value: float) -> str:
    """Java's `DecimalFormat("0.###")`: HALF_EVEN on the exact double, no trailing zeros (§7.2)."""
    text = format(Decimal(value).quantize(_PRECISION, ROUND_HALF_EVEN), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def attribute_text(attribute: dict[str, Any]) -> str | None:
    """An offer attribute as the string constraints compare against."""
    kind = attribute.get("type")
    if kind == "TEXT":
        return str(attribute.get("text", {}).get("value", ""))
    if kind == "SCALAR":
        return format_scalar(float(attribute.get("scalar", {}).get("value", 0.0)))
    if kind == "RANGES":
        ranges = sorted(attribute.get("ranges", {}).get("range", []), key=lambda r: r["begin"])
        return "[" + ",".join(f"{r['begin']}-{r['end']}" for r in ranges) + "]"
    if kind == "SET":
        return "{" + ",".join(sorted(attribute.get("set", {}).get("item", []))) + "}"
    return None


def field_value(offer: dict[str, Any], name: str) -> str | None:
    """What a constraint's `attribute` reads in an offer: its hostname, region, zone or
    attribute."""
    if name in ("hostname", "@hostname"):
        return _text(offer.get("hostname"))
    if name in ("@region", "@zone"):
        domain = offer.get("domain", {}).get("fault_domain", {})
        return _text(domain.get(name[1:], {}).get("name"))
    attribute = next((a for a in offer.get("attributes", []) if a.get("name") == name), None)
    return None if attribute is None else attribute_text(attribute)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def constraint_matches(constraint: Constraint, offer: dict[str, Any]) -> bool:
    if constraint.value is None:
        return True  # Metronome drops constraints without a value (§7.1)
    actual = field_value(offer, constraint.attribute)
    if actual is None:
        return constraint.operator is ConstraintOperator.UNLIKE
    if constraint.operator is ConstraintOperator.IS:
        wanted = constraint.value
        if _NUMBER.fullmatch(wanted):
            wanted = format_scalar(float(wanted))
        return actual == wanted
    if not constraint.value:
        return False
    try:
        matched = re.fullmatch(constraint.value, actual) is not None
    except re.error:
        return False
    return matched if constraint.operator is ConstraintOperator.LIKE else not matched


def constraints_match(constraints: Iterable[Constraint], offer: dict[str, Any]) -> bool:
    return all(constraint_matches(c, offer) for c in constraints)


class OfferSpace:
    """What is left of one offer while tasks are placed on it.

    Only what Mesos lets a task take part of is split: cpus, mem and the root disk. A MOUNT
    disk is taken whole or not at all, and persistent volumes (and other disk sources) are never
    taken: a task with part of one is a TASK_ERROR (`Resources::contains`).
    """

    def __init__(self, offer: dict[str, Any], role: str) -> None:
        self.offer = offer
        self.id: str = offer["id"]["value"]
        self.agent_id: str = offer["agent_id"]["value"]
        self.hostname: str = offer.get("hostname", "")
        usable = [
            r
            for r in offer.get("resources", [])
            if r.get("type") == "SCALAR" and "scalar" in r and _usable(r, role)
        ]
        # With their reservation and allocation info kept as offered (§3.5: "keeping the offered
        # role/reservation").
        self._free = [(dict(r), _round(r["scalar"]["value"])) for r in usable if _splittable(r)]
        self._mounts = sorted(
            (r for r in usable if _disk_kind(r) == "MOUNT"), key=lambda r: r["scalar"]["value"]
        )

    def total(self, name: str) -> float:
        """How much of a resource can still be split off (MOUNT disks are not counted)."""
        return _round(sum(amount for r, amount in self._free if r["name"] == name))

    def take(self, demand: HostResources) -> list[dict[str, Any]] | None:
        """Resources for a task of this demand, taken from the offer; None if they do not fit.

        Its disk comes from the root disk, else is the smallest MOUNT disk big enough.
        """
        wanted = {"cpus": demand.cpus, "mem": demand.mem, "disk": demand.disk}
        mount = None
        if self.total("disk") + 1e-9 < _round(demand.disk):
            fitting = (r for r in self._mounts if r["scalar"]["value"] + 1e-9 >= demand.disk)
            mount = next(fitting, None)
            if mount is None:
                return None
            del wanted["disk"]
        if any(self.total(name) + 1e-9 < _round(amount) for name, amount in wanted.items()):
            return None
        taken = []
        for name, amount in wanted.items():
            need = _round(amount)
            for index, (resource, free) in enumerate(self._free):
                if need <= 0:
                    break
                if resource["name"] != name or free <= 0:
                    continue
                used = min(free, need)
                need = _round(need - used)
                self._free[index] = (resource, _round(free - used))
                taken.append({**resource, "scalar": {"value": used}})
        if mount is not None:
            self._mounts.remove(mount)
            taken.append(dict(mount))
        return taken


def _disk_kind(resource: dict[str, Any]) -> str:
    """ROOT, PATH, MOUNT, ...; VOLUME for a persistent volume; ROOT for other resources."""
    disk = resource.get("disk") or {}
    if "persistence" in disk:
        return "VOLUME"
    return str(disk.get("source", {}).get("type", "ROOT"))


def _splittable(resource: dict[str, Any]) -> bool:
    return resource.get("name") != "disk" or _disk_kind(resource) == "ROOT"


def _usable(resource: dict[str, Any], role: str) -> bool:
    allocated = resource.get("allocation_info", {}).get("role")
    return allocated is None or allocated == role


def _round(value: float) -> float:
    return round(float(value), 3)
