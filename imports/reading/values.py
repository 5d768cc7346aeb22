"""Cell values the reader hands over as stored, and what the engine reads in them.

Export's formula neutralisation has its exact inverse here
(:func:`unquote_formula`), and the options step reads the day/month order off
a column's sample dates (:func:`detect_day_first`).
"""

from __future__ import annotations

import re


def unquote_formula(value: str) -> str:
    """The inverse of export's formula neutralisation: drop one leading ``'``.

    Dropped when the quotes at the start are followed by ``=``, ``+``, ``-``,
    ``@``, tab or carriage return: ``'=SUM(A1)`` → ``=SUM(A1)``, ``''=x`` →
    ``'=x`` (only one), ``'hello`` and ``'`` unchanged. For the round trip to
    be exact the exporter must add a ``'`` to a value like ``'=x`` too (quotes
    then a formula character), not only to values starting with one.
    """
    if value[:1] == "'" and value.lstrip("'")[:1] in _FORMULA_STARTS:
        return value[1:]
    return value


_FORMULA_STARTS = frozenset("=+-@\t\r")
_NUMERIC_DATE = re.compile(r"\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?!\d)")


def detect_day_first(values: list[str]) -> bool | None:
    """Whether the numeric dates among ``values`` put the day first.

    ``True`` when some value can only be day-first (25/03/2024) and none
    only month-first (03/25/2024); ``False`` the other way round; ``None``
    when no value settles it (all ambiguous like 03/04/2024, ISO dates, not
    dates) or the values contradict each other.
    """
    day_first = month_first = False
    for value in values:
        match = _NUMERIC_DATE.match(value)
        if not match:
            continue
        first, second = int(match[1]), int(match[2])
        if 12 < first <= 31 and 1 <= second <= 12:
            day_first = True
        elif 12 < second <= 31 and 1 <= first <= 12:
            month_first = True
    return day_first if day_first != month_first else None
