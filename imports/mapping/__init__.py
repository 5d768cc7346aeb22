"""Automatic column mapping: the wizard's "Map columns" step.

:func:`propose_mapping` proposes one target per column of an uploaded file,
with a confidence (0..1) and a reason the person reads:

- a lead field (``email``, ``first_name`` … ``tags``, see :data:`STANDARD_TARGETS`);
- ``full_name`` (split by the engine with :func:`split_full_name`);
- ``cf:<key>``, an existing custom field matched by key or label;
- ``new_cf:<type>``, a new custom field whose type :func:`infer_custom_type` read off the values;
- ``email_secondary``, a further address offered but never the identity;
- ``ignore``.

How a column is read, strongest evidence first: a remembered mapping; the
header against the synonym table (``imports.mapping.synonyms``) after
normalising both (case, accents, punctuation, camelCase, snake_case); the same
after setting aside a prefix ("Person - ", "Contact ", "Organization 1 - ")
or a qualifier ("work", "2"); a fuzzy match (rapidfuzz) above a threshold;
and the sample values, which both propose targets (a column of emails is an
email whatever its header) and veto headers they contradict. Each single
target goes to the most confident column; tags, secondary emails, new custom
fields and ignore may take several. Everything here is pure: no database,
no I/O; custom fields and owners come in as plain objects.
"""

from imports.mapping.base import (  # noqa: F401
    CUSTOM_TYPES,
    FUZZY_THRESHOLD,
    IGNORE,
    MULTI_TARGETS,
    SPECIAL_TARGETS,
    STANDARD_TARGETS,
    CustomFieldLike,
    OwnerLike,
    Proposal,
    header_signature,
    normalise_header,
    synonym_index,
)
from imports.mapping.people import (  # noqa: F401
    match_owner,
    owner_for,
    owner_keys,
    person_key,
    split_full_name,
)
from imports.mapping.propose import (  # noqa: F401
    as_job_mapping,
    propose_mapping,
)
from imports.mapping.values import (  # noqa: F401
    infer_custom_type,
)
