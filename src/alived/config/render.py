"""Model -> JSON-able dict (for `alivectl dump-config --json` and golden tests).

Addresses become strings, tuples lists, Locations "file:line"; timers stay integer microseconds
(their field names are keepalived's, the unit is alived's Ticks).
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
from typing import Any

from alived.config.model import Config
from alived.errors import Location

_ADDRESS_TYPES = (
    ipaddress.IPv4Address,
    ipaddress.IPv6Address,
    ipaddress.IPv4Interface,
    ipaddress.IPv6Interface,
    ipaddress.IPv4Network,
    ipaddress.IPv6Network,
)


def to_jsonable(value: Any) -> Any:
    """Any model value as plain JSON types; None-valued and empty fields are kept (they are defaults)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Location):
        return f"{value.file}:{value.line}"
    if isinstance(value, _ADDRESS_TYPES):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.name
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            if f.compare:  # compare=False fields only say where a value was written, or how
                out[f.name] = to_jsonable(getattr(value, f.name))
        return out
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list | set | frozenset):
        return [to_jsonable(v) for v in value]
    return str(value)


def render_config(config: Config) -> dict[str, Any]:
    rendered = to_jsonable(config)
    assert isinstance(rendered, dict)
    for vs, raw in zip(rendered["virtual_servers"], config.virtual_servers, strict=True):
        vs["key"] = raw.key
    return rendered
