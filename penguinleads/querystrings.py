"""Query strings of list pages: clean filters in the address bar, links that change one key."""

from __future__ import annotations

from django.http import QueryDict


def clean_query(params: QueryDict, *, drop: tuple[str, ...] = ()) -> QueryDict:
    """``params`` without blank values and without the keys in ``drop`` (a new, mutable copy).

    A form submitted by htmx sends every field, empty or not; the address bar
    should only show the filters that narrow something.
    """
    cleaned = QueryDict(mutable=True)
    for key in params:
        if key in drop:
            continue
        values = [v for v in params.getlist(key) if v.strip()]
        if values:
            cleaned.setlist(key, values)
    return cleaned


def query_with(params: QueryDict, **changes) -> str:
    """``?…`` of ``params`` with ``changes`` applied (None removes a key), or "" when empty."""
    query = params.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else ""
