"""Exact arithmetic for clinical boundaries.

Percentages and thresholds are compared as ``Fraction`` built from the decimal
text of the recorded value, so 72 mm over a 60 mm nadir is exactly +20 % and
30.0 mm is never 30.000000000000004 mm.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

_MEMO: dict[int | float, Fraction] = {}
"""Recorded numbers already converted (Fractions are immutable, so they are shared); bounded."""
_MEMO_MAX = 8192


def exact(value: int | float | str | Decimal | Fraction) -> Fraction:
    """The exact rational value of a recorded number (floats via their shortest repr)."""
    kind = type(value)
    if kind is int or kind is float:
        hit = _MEMO.get(value)  # type: ignore[arg-type]
        if hit is not None:
            return hit
        out = Fraction(value) if kind is int else Fraction(Decimal(repr(value)))
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        _MEMO[value] = out  # type: ignore[index]
        return out
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    return Fraction(Decimal(str(value)))


def pct_change(new: Fraction, old: Fraction) -> Fraction:
    """Exact percent change from ``old`` to ``new`` (``old`` must be > 0)."""
    return (new - old) * 100 / old


def to_float(value: Fraction, places: int = 1) -> float:
    """Round an exact value for display (half away from zero)."""
    q = Decimal(value.numerator) / Decimal(value.denominator)
    return float(q.quantize(Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP"))
