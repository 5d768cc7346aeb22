"""Case- and accent-insensitive text: the database's one folding function.

``public.fold_text(text)`` (tenancy migration 0004) lower-cases and strips
accents with PostgreSQL's ``unaccent`` rules: "Schäfer", "SCHAFER" and
"schafer" all fold to "schafer", "Núñez" to "nunez". It is IMMUTABLE, so a
generated column and an index may hold its result (``Lead.search_text``),
and a constant argument is folded once, when the query is planned, so the
planner sees the folded term as a literal (a trigram or prefix index can
use it).

Fold both sides with :class:`Fold`, never with a Python imitation: the
column holds what the database's rules produce, and only the same function
applied to the term is guaranteed to agree with it. Whatever compares text
"as search does" (the leads search, filter and rule operators that ignore
case and accents) uses this one expression::

    Lead.objects.filter(search_text__contains=Fold(Value(term)))
    queryset.annotate(k=Fold("city")).filter(k=Fold(Value("Köln")))

A filter on ``Fold(column)`` over a column with no index on that expression
reads every row; give a hot one an expression index (or a generated column,
as ``search_text``).
"""

from __future__ import annotations

from django.db.models import Func, TextField

FOLD_FUNCTION = "public.fold_text"


class Fold(Func):
    """``public.fold_text(expression)``: lower case, accents removed (unaccent's rules)."""

    function = FOLD_FUNCTION
    arity = 1
    output_field = TextField()
