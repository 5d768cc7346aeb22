"""Every URL pattern of the workspace URLconf, found by walking the resolver."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the bare name at the top level
    route: str  # the full pattern, e.g. "leads/<int:pk>/edit/"
    params: tuple[str, ...]  # the path's keyword arguments


def _walk(patterns, prefix: str, namespace: str):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            full = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            route = prefix + str(entry.pattern)
            params = tuple(entry.pattern.converters) if hasattr(entry.pattern, "converters") else ()
            yield Route(name=full or route, route=route, params=params)


def workspace_routes(*, include_admin: bool = False) -> list[Route]:
    """Every pattern of ``penguinleads.urls``, includes followed.

    The Django admin's patterns (``admin/…``, namespace ``admin``) are left
    out unless asked for: the admin sweep covers them by registered ModelAdmin.
    """
    routes = list(_walk(get_resolver("penguinleads.urls").url_patterns, "", ""))
    if not include_admin:
        routes = [r for r in routes if not r.route.startswith("admin/")]
    return routes
