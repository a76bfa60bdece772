"""Instants in requests: ISO 8601 with an offset, Metronome's form included."""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import ValidationError

from metronome.api._schemas_fields import JsonField, shown

# Clear of datetime's limits, which a cron scan or a step past an instant would overflow.
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9998, 12, 31, tzinfo=UTC)


def parse_instant(value: str) -> datetime:
    """An ISO 8601 instant with its offset: Metronome's `2026-01-05T10:00:00.000+0000` or
    `2026-01-05T10:00:00Z`.

    Raises:
        ValidationError: anything else, a date or a time without an offset included, and an
            instant before 1970 or after 9998.
    """
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        instant = None
    if instant is None or instant.utcoffset() is None:
        msg = f"'{shown(value)}' is not an instant such as 2026-01-05T10:00:00.000+0000."
        raise ValidationError(msg)
    if not _EARLIEST <= instant <= _LATEST:
        msg = f"'{shown(value)}' is out of range: from 1970 to 9998."
        raise ValidationError(msg)
    return instant


class Instant(JsonField[datetime]):
    """A body field holding an instant (see `parse_instant`)."""

    json_type = "string"

    def _deserialize(
        self, value: object, attr: str | None, data: object, **kwargs: object
    ) -> datetime:
        return parse_instant(self._checked(value, str))
