"""Which page a ``?page=`` asks for, offset pages that never land past the end, and the pager.

Every paginated page reads its page number through :func:`requested_page`:
anything but a whole number of at least 1 (text, ``0``, ``-3``, ``2.5``) is
the first page, and a number larger than any real page is capped, so no
query string can fail to parse or overflow PostgreSQL's ``bigint`` OFFSET.
A page past the last shows the last page: Django's ``Paginator.get_page``
does that for lists it counts, :func:`offset_page` for lists that avoid
counting. Every page shows its :class:`Pager` with the one partial
``templates/includes/_pagination.html``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.core.paginator import Page
from django.http import QueryDict

from penguinleads.querystrings import query_with

# Fifty billion rows at fifty a page: past any real list, and OFFSET stays within bigint.
MAX_PAGE = 10**9

T = TypeVar("T")


def requested_page(raw: str | None) -> int:
    """The page ``?page=raw`` asks for: 1 unless a whole number ≥ 1; at most ``MAX_PAGE``."""
    text = (raw or "").strip()
    # ASCII digits only: int() would also read "+3", "3_000" and other scripts' digits.
    if not (text.isascii() and text.isdigit()):
        return 1
    if len(text) > len(str(MAX_PAGE)):  # beyond the cap, and maybe beyond what int() parses
        return MAX_PAGE
    return min(max(int(text), 1), MAX_PAGE)


@dataclass(frozen=True)
class Pager:
    """What the pager shows: this page's number and its neighbours' addresses ("" for none)."""

    number: int
    prev_url: str = ""
    next_url: str = ""


def pager_for(page: Page, params: QueryDict, *, url: str = "") -> Pager:
    """The pager of a ``Paginator`` page: ``url`` with ``params`` and the neighbour's ``page``."""
    return Pager(
        number=page.number,
        prev_url=url + query_with(params, page=page.previous_page_number())
        if page.has_previous()
        else "",
        next_url=url + query_with(params, page=page.next_page_number()) if page.has_next() else "",
    )


def last_page(total: int, per_page: int) -> int:
    """The number of the last page of ``total`` rows (1 when there are none)."""
    return max(1, -(-total // per_page))


@dataclass(frozen=True)
class OffsetPage(Generic[T]):
    number: int
    rows: list[T]
    has_next: bool
    offset: int  # rows before this page


def offset_page(
    fetch: Callable[[int, int], Sequence[T]],
    *,
    page: int,
    per_page: int,
    total: Callable[[], int],
) -> OffsetPage[T]:
    """Page ``page`` of the rows ``fetch(offset, limit)`` returns; the last page when past it.

    ``fetch`` is asked for one row more than a page, which tells whether a
    next page exists without counting. ``total()`` (the number of rows) is
    called only when a page after the first comes back empty, to find the
    last page, which is then fetched. The caller chooses what ``total``
    costs; an exact count is no dearer than the OFFSET that has just read
    every row to find the page empty.
    """
    rows = list(fetch((page - 1) * per_page, per_page + 1))
    if not rows and page > 1:
        page = min(page, last_page(total(), per_page))
        rows = list(fetch((page - 1) * per_page, per_page + 1))
    return OffsetPage(
        number=page,
        rows=rows[:per_page],
        has_next=len(rows) > per_page,
        offset=(page - 1) * per_page,
    )
