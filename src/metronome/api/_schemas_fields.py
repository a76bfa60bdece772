"""Marshmallow building blocks: fields that accept exactly one JSON type, a strict schema base.

Marshmallow's stock fields coerce ("1.5" is a float, 1 is a boolean) and word errors their
own way; the API must reject wrong JSON types the way Metronome's JSON-schema check does
(metronome-behavior.md §1.3) and stay safe on hostile bodies, so every field here checks the
exact Python type `json.loads` produced and keeps messages short whatever the input size.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from marshmallow import Schema, ValidationError, fields

if TYPE_CHECKING:
    from collections.abc import Mapping

    from marshmallow.types import ErrorMessages, StrSequenceOrSet

_T = TypeVar("_T")
_V = TypeVar("_V")

MAX_INTEGER = 2**31 - 1
"""Upper bound of integer fields: they are durations in seconds, and larger values overflow
timedelta arithmetic and the store's integer fields long before they mean anything."""

MAX_ITEM_ERRORS = 100
"""An array or map reports at most this many bad items, so a huge hostile one fails fast."""

_SHOWN_CHARS = 80

_JSON_TYPES: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "number",
    float: "number",
    type(None): "null",
}

MISSING = "Property missing."


def json_type(value: object) -> str:
    """The JSON type name of a value `json.loads` produced."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def wrong_type(expected: str, value: object) -> str:
    return f"Wrong type. Expected {expected}, was {json_type(value)}."


def shown(value: str) -> str:
    """`value` cut to a length that keeps an error body small."""
    return value if len(value) <= _SHOWN_CHARS else value[:_SHOWN_CHARS] + "..."


def number_text(value: float) -> str:
    """A JSON number as a client wrote it: 32 rather than 32.0; huge integers cut short."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return shown(str(value))


def _add_error(errors: dict[str | int, object], key: str | int, messages: object) -> bool:
    """Record one item's errors; True once enough are recorded and the caller should stop."""
    errors[key] = messages
    if len(errors) < MAX_ITEM_ERRORS:
        return False
    # "_schema" holds messages about the enclosing value itself (see _schemas.flatten).
    errors["_schema"] = [f"Only the first {MAX_ITEM_ERRORS} invalid items are reported."]
    return True


class JsonField(fields.Field[_T]):
    """Base: required/null messages in the project's wording."""

    json_type: ClassVar[str] = "value"
    # Marshmallow declares it without ClassVar (and reads it from the class): mypy refuses one.
    default_error_messages: ErrorMessages = {"required": MISSING}  # noqa: RUF012 - see above

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error_messages["null"] = f"Wrong type. Expected {self.json_type}, was null."

    def _checked(self, value: object, cls: type[_V]) -> _V:
        """`value` if it is a `cls`; a JSON boolean is never a number (bool is an int class)."""
        if not isinstance(value, cls) or (isinstance(value, bool) and cls is not bool):
            raise ValidationError(wrong_type(self.json_type, value))
        return value


class String(JsonField[str]):
    json_type = "string"

    def __init__(self, *, min_length: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.min_length = min_length

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> str:
        text = self._checked(value, str)
        if len(text) < self.min_length:
            msg = f"'{shown(text)}' is shorter than minimum length of {self.min_length}."
            raise ValidationError(msg)
        return text


class Boolean(JsonField[bool]):
    json_type = "boolean"

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> bool:
        return self._checked(value, bool)


class _Bounded(JsonField[_T]):
    """A number with inclusive bounds, named in the error messages."""

    def __init__(
        self, *, minimum: float | None = None, maximum: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def _check_bounds(self, raw: float, value: float) -> None:
        if self.minimum is not None and value < self.minimum:
            msg = f"{number_text(raw)} is smaller than required minimum value of {self.minimum}."
            raise ValidationError(msg)
        if self.maximum is not None and value > self.maximum:
            msg = f"{number_text(raw)} is greater than allowed maximum value of {self.maximum}."
            raise ValidationError(msg)


class Number(_Bounded[float]):
    """Any finite JSON number, as a float."""

    json_type = "number"

    def _deserialize(
        self, value: object, attr: str | None, data: object, **kwargs: object
    ) -> float:
        raw = value if isinstance(value, float) else self._checked(value, int)
        try:
            number = float(raw)
        except OverflowError:  # a 400-digit integer
            number = math.inf
        if not math.isfinite(number):  # json.loads reads 1e400 as inf and accepts NaN
            raise ValidationError(f"Number {number_text(raw)} is out of range.")
        self._check_bounds(raw, number)
        return number


class Integer(_Bounded[int]):
    """A JSON integer; a whole float such as 2.0 is read as 2."""

    json_type = "integer"

    def __init__(self, *, maximum: int = MAX_INTEGER, **kwargs: Any) -> None:
        super().__init__(maximum=maximum, **kwargs)

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> int:
        if isinstance(value, float) and value.is_integer():
            raw: float = value
            number = int(value)
        else:
            raw = number = self._checked(value, int)
        self._check_bounds(raw, number)
        return number


class Choice(JsonField[Enum]):
    """A string out of a fixed set, read into an enum member (aliases allowed)."""

    json_type = "string"

    def __init__(self, choices: Mapping[str, Enum], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = choices
        self.expected = ", ".join(choices)

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> Enum:
        name = self._checked(value, str)
        try:
            return self.choices[name]
        except KeyError:
            msg = f"'{shown(name)}' is not one of {self.expected}."
            raise ValidationError(msg) from None


def enum_choices(enum: type[Enum]) -> dict[str, Enum]:
    """The JSON spelling of each member of a string enum, for `Choice`."""
    return {member.value: member for member in enum}


class StringMap(JsonField[dict[str, str]]):
    """An object of string values; errors are keyed by the offending property.

    With `secret_refs`, a value `{"secret": name}` (an environment secret of later Metronome
    versions) is refused as not supported rather than as a wrong type.
    """

    json_type = "object"

    def __init__(self, *, secret_refs: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.secret_refs = secret_refs

    def _deserialize(
        self, value: object, attr: str | None, data: object, **kwargs: object
    ) -> dict[str, str]:
        mapping: dict[str, object] = self._checked(value, dict)  # json.loads keys are strings
        strings: dict[str, str] = {}
        errors: dict[str | int, object] = {}
        for key, item in mapping.items():
            if isinstance(item, str):
                strings[key] = item
                continue
            if self.secret_refs and isinstance(item, dict) and "secret" in item:
                error = not_supported('A secret reference ({"secret": ...})')
            else:
                error = wrong_type("string", item)
            if _add_error(errors, key, [error]):
                break
        if errors:
            raise ValidationError(errors)
        return strings


class Array(JsonField[tuple[_T, ...]]):
    """A JSON array read item by item into a tuple; errors are keyed by item index."""

    json_type = "array"

    def __init__(self, item: fields.Field[_T], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item = item

    def _bind_to_schema(self, field_name: str, parent: Schema | fields.Field[Any]) -> None:
        super()._bind_to_schema(field_name, parent)
        self.item._bind_to_schema(field_name, self)

    def _deserialize(
        self, value: object, attr: str | None, data: object, **kwargs: object
    ) -> tuple[_T, ...]:
        items: list[object] = self._checked(value, list)
        load = self.item.deserialize
        result: list[_T] = []
        errors: dict[str | int, object] = {}
        for index, each in enumerate(items):
            try:
                result.append(load(each))
            except ValidationError as exc:
                if _add_error(errors, index, exc.messages):
                    break
        if errors:
            raise ValidationError(errors)
        return tuple(result)


class Object(fields.Nested):
    """A nested schema that first checks it was given a JSON object."""

    default_error_messages: ErrorMessages = {  # noqa: RUF012 - as on JsonField
        "required": MISSING,
        "null": "Wrong type. Expected object, was null.",
    }

    def _deserialize(
        self,
        value: object,
        attr: str | None,
        data: Mapping[str, object] | None,
        partial: bool | StrSequenceOrSet | None = None,
        **kwargs: object,
    ) -> object:
        if not isinstance(value, dict):
            raise ValidationError(wrong_type("object", value))
        return super()._deserialize(value, attr, data, partial, **kwargs)


UNKNOWN_KEY = "Additional properties are not allowed."
NOT_SUPPORTED = "is not supported by this server"


def not_supported(what: str) -> str:
    """The error for a feature of a later Metronome version that this server lacks."""
    return f"{what} {NOT_SUPPORTED}."


class StrictSchema(Schema):
    """Base of every body schema: unknown keys are errors, worded like the rest.

    `later_versions` names keys that later Metronome versions accept and this server does not
    (key -> what it is): such a key is refused as not supported, not as a typo.
    """

    # Marshmallow declares it without ClassVar (and reads it from the class): mypy refuses one.
    error_messages: dict[str, str] = {"unknown": UNKNOWN_KEY}  # noqa: RUF012 - see above
    later_versions: ClassVar[Mapping[str, str]] = {}

    def handle_error(self, error: ValidationError, data: Any, *, many: bool, **kwargs: Any) -> None:
        messages = error.messages
        if not isinstance(messages, dict):
            return
        for key, what in self.later_versions.items():
            if messages.get(key) == [UNKNOWN_KEY]:
                messages[key] = [not_supported(f"'{key}' ({what})")]
