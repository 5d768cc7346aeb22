"""Writes to leads and what hangs off them, one module per subject.

``leads`` (create, update, delete), ``suppressions`` (the one suppression
writer), ``bulk`` (bulk actions over a ``LeadSelection``), ``tags``,
``custom_fields`` (definitions) and ``preferences`` (chosen table columns).
"""
