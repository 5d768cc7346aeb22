"""The import engine: from a read file to leads, set-based, whole or not at all.

In pipeline order: ``cleaning`` turns each file row into a staging row (the
Resource's per-value cleaning), ``parallel`` runs it on every core, ``rows``
encodes staging rows as COPY text, ``staging`` COPYs them into the job's
UNLOGGED table; ``plan`` holds the SQL expressions that both ``preview``
(exact counts and tabs) and ``merge`` (the import itself) are made of;
``undo`` reverses a merge; ``problems`` and ``flags`` read the staging table
for the report and the preview; ``progress`` writes progress and polls the
cancel flag on a second connection. The workflow around the engine (the
job's states, tasks, notifications) is ``imports.services``.
"""
