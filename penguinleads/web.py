"""What views share: page-or-partial answers for htmx, safe return addresses,
counted nouns, and a service's ValidationError shown on a form or as messages.

Pagination lives beside it, in ``penguinleads.pagination``, and query
strings in ``penguinleads.querystrings``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import push_url as htmx_push_url


def wants_partial(request: HttpRequest) -> bool:
    """An htmx request, which swaps a part of the page it comes from (a partial template).

    A history-restore request (the back button after htmx navigation, when
    htmx's own history cache misses) wants the whole page, as a plain
    request does.
    """
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_page_or_partial(
    request: HttpRequest,
    page: str,
    partial: str,
    context: dict,
    *,
    page_context: Callable[[], Mapping] | None = None,
    push_url: str | None = None,
) -> HttpResponse:
    """The ``partial`` template for an htmx request (``wants_partial``), else the whole ``page``.

    ``page_context()`` adds what only the whole page shows, so a partial
    never pays for it; ``push_url`` is the address htmx shows after swapping
    the partial in (the clean query string of a filter form, say). Either
    answer varies on ``HX-Request``: the same URL answers with a part or a
    whole page, and caches must tell them apart.
    """
    if wants_partial(request):
        response = render(request, partial, context)
        if push_url is not None:
            htmx_push_url(response, push_url)
    else:
        if page_context is not None:
            context = {**context, **page_context()}
        response = render(request, page, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def safe_return_url(request: HttpRequest, url: str | None, default: str) -> str:
    """``url`` when it points into this site, else ``default``: no open redirect.

    Into this site means a relative address or this request's own host, and
    https when the request came over https.
    """
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


def plural(n: int, one: str, many: str | None = None) -> str:
    """``n`` with thousands separators and the words that fit it: "1 lead", "2,500 leads".

    ``many`` defaults to ``one`` + "s"; give it for other plurals ("lead was",
    "leads were").
    """
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def add_service_errors(form: BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on ``form``, which is then shown again.

    Errors naming a field of the form go on that field; the rest (and an
    error naming no field) go above the form.
    """
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def error_messages(request: HttpRequest, errors: BaseForm | ValidationError) -> None:
    """One error message for each error of a refused form or of a service's ValidationError.

    For views that redirect back to the page the post came from rather than
    showing a form again.
    """
    if isinstance(errors, BaseForm):
        texts = [error for field_errors in errors.errors.values() for error in field_errors]
    else:
        texts = errors.messages
    for text in texts:
        messages.error(request, text)
