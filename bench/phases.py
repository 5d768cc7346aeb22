"""Per-phase timings of the import engine, measured in this process.

The ``import_leads`` subprocess reports only its total, so the breakdown is
a separate run of the same services on a smaller file (new rows plus rows
matching seeded leads), committed like a real import:

- parse: one pass of ``imports.reading.iter_rows`` over the file (no cleaning);
- clean: ``stage()``'s read+clean generator drained into memory, minus parse;
- stage: ``staging_copy`` (COPY of the drained rows) + ``staging_index``;
- preview SQL: ``imports.engine.preview.preview_counts``;
- merge: ``imports.engine.merge.merge`` less its "adding to list" step, which is list add;
- commit: leaving the transaction.

It wraps ``imports.engine.staging`` functions for the timers (bench-only) and
reads the file through ``imports.uploads``' ``job_file_opener``/``job_profile``.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import transaction
from django_tenants.utils import schema_context


@contextmanager
def _wrapped(module, name: str, wrapper):
    original = getattr(module, name)
    setattr(module, name, wrapper(original))
    try:
        yield
    finally:
        setattr(module, name, original)


def phase_breakdown(*, schema_name: str, path: Path) -> dict[str, float]:
    """Seconds per phase for importing ``path`` into a new list; also ``rows``."""
    from imports.engine import staging
    from imports.engine.merge import merge
    from imports.engine.plan import plan_for
    from imports.engine.preview import preview_counts
    from imports.models import ImportJob
    from imports.reading import ReadOptions, iter_rows
    from imports.selectors import auto_mapping
    from imports.services import import_job_configure, import_job_create, import_job_map
    from imports.uploads import job_file_opener, job_profile

    times: dict[str, float] = {}
    with schema_context(schema_name):
        with path.open("rb") as stream:
            job = import_job_create(
                actor=None, stream=stream, file_name=path.name,
                size=os.fstat(stream.fileno()).st_size, source=ImportJob.Source.COMMAND,
                options=ReadOptions(),
            )  # fmt: skip
        job = import_job_map(job=job, actor=None, mapping=auto_mapping(job))
        job = import_job_configure(job=job, actor=None, new_list_name="Bench phases")

        started = time.perf_counter()
        rows = sum(1 for _ in iter_rows(job_file_opener(job), job_profile(job)))
        times["parse"] = time.perf_counter() - started

        def timed_copy(original):
            def copy(job_id, generator):
                begun = time.perf_counter()
                drained = list(generator)
                times["read+clean"] = time.perf_counter() - begun
                begun = time.perf_counter()
                staged = original(job_id, drained)
                times["copy"] = time.perf_counter() - begun
                return staged

            return copy

        def timed_index(original):
            def index(job_id):
                begun = time.perf_counter()
                original(job_id)
                times["index"] = time.perf_counter() - begun

            return index

        marks: list[tuple[str, float]] = []
        with transaction.atomic():
            with (
                _wrapped(staging, "staging_copy", timed_copy),
                _wrapped(staging, "staging_index", timed_index),
            ):
                staging.stage(job)
            began = time.perf_counter()
            preview_counts(plan_for(job), lead_list_id=job.lead_list_id)
            times["preview SQL"] = time.perf_counter() - began
            began = time.perf_counter()
            merge(
                plan_for(job),
                actor_id=None,
                new_owner_id=None,
                lead_list_id=job.lead_list_id,
                phase=lambda name: marks.append((name, time.perf_counter())),
            )
            ended = time.perf_counter()
            staging.staging_drop(job.pk)
            began_commit = time.perf_counter()  # leaving atomic() below is the COMMIT
        times["commit"] = time.perf_counter() - began_commit

    steps = dict.fromkeys((n for n, _ in marks), 0.0)
    bounds = [t for _, t in marks] + [ended]
    for (name, at), until in zip(marks, bounds[1:], strict=True):
        steps[name] += until - at
    list_add = steps.pop("adding to list", 0.0)
    return {
        "rows": rows,
        "parse": times["parse"],
        "clean": max(times.get("read+clean", 0.0) - times["parse"], 0.0),
        "stage": times.get("copy", 0.0) + times.get("index", 0.0),
        "preview SQL": times["preview SQL"],
        "merge": ended - began - list_add,
        "list add": list_add,
        "commit": times["commit"],
        "merge steps": steps,
    }
