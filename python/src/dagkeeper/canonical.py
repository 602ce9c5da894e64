"""Canonical JSON exactly as the server and the CLI write it (``canonicalJson`` in src/domain/contentKey.ts).

An input object's content is a value's canonical JSON in UTF-8, so the same value uploaded from Python,
from the CLI or from a worker has the same SHA-256 and is stored once. That needs JavaScript's text:
object keys sorted by UTF-16 code unit, no whitespace, and numbers as ``JSON.stringify`` writes them
(``1`` for 1.0, ``1e-7``, ``1e+21``), which Python's ``json`` module does not.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

#: Integers JavaScript holds exactly; larger ones become doubles there, so they are written as one here.
_MAX_SAFE_INTEGER = 2**53 - 1
_encode_string = json.JSONEncoder(ensure_ascii=False).encode


def canonical_json(value: Any) -> str:
    """The value's canonical JSON text."""
    return "".join(canonical_json_pieces(value))


def canonical_json_pieces(value: Any) -> Iterator[str]:
    """canonical_json's text in pieces, so a large value is hashed or sent without one huge string."""
    pieces: list[str] = []
    _write(value, pieces, 0)
    # Batched: a piece per token would make every consumer call per token.
    for start in range(0, len(pieces), 16_384):
        yield "".join(pieces[start : start + 16_384])


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _write(value: Any, out: list[str], depth: int) -> None:
    if depth > 512:
        raise ValueError("the value is nested deeper than 512 levels")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_encode_string(value))
    elif isinstance(value, int):
        out.append(str(value) if abs(value) <= _MAX_SAFE_INTEGER else js_number(float(value)))
    elif isinstance(value, float):
        out.append(js_number(value))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key in sorted(value, key=lambda k: _utf16_order(_key_text(k))):
            if not first:
                out.append(",")
            first = False
            out.append(_encode_string(_key_text(key)))
            out.append(":")
            _write(value[key], out, depth + 1)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index > 0:
                out.append(",")
            _write(item, out, depth + 1)
        out.append("]")
    else:
        raise TypeError(f"a {type(value).__name__} is not a JSON value")


def _key_text(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"JSON object keys are strings, not {type(key).__name__}")
    return key


def js_number(number: float) -> str:
    """A float as JavaScript's Number.prototype.toString writes it (shortest round-trip digits)."""
    if not math.isfinite(number):
        raise ValueError(f"{number} is not a JSON number")
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    # repr gives the shortest digits that round-trip, as JavaScript does; only the layout differs.
    mantissa, _, exponent_text = repr(abs(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    # n: where the decimal point goes relative to the digits (ECMA-262 Number::toString).
    n = (0 if whole == "0" else len(whole)) + (int(exponent_text) if exponent_text else 0)
    if whole == "0":
        n -= len(fraction) - len(fraction.lstrip("0"))
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        exponent = n - 1
        text = (digits if k == 1 else f"{digits[0]}.{digits[1:]}") + ("e+" if exponent >= 0 else "e-") + str(abs(exponent))
    return sign + text
