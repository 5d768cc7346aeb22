"""Clean and encode rows on every core, in file order (issue 7).

Cleaning (email-validator, phonenumbers, the Resource's widgets) is the
engine's costliest Python: about 80 µs a row on one core. :func:`cleaned_blocks`
cuts the row stream into batches and has worker processes turn each batch
into a block of COPY text (``imports.staging.encode_rows``); the calling
process only reads the file and streams the blocks to PostgreSQL.

Contract:
- Output order is the input order, whatever the number of workers: blocks
  are collected in submission order.
- Memory stays bounded: at most ``workers * IN_FLIGHT`` batches are queued or
  being cleaned at any time (``Pool.imap`` would read the whole file ahead).
- Workers never touch the database. They are forked after the cleaner is
  built (so they inherit it, custom fields and owners included) and only run
  :func:`_clean_block`; the parent's connections are left alone (the forked
  copies are never used and never closed: workers exit with ``os._exit``).
- Small files are cleaned in this process (``workers=0``): forking costs more
  than it saves below ``PARALLEL_MIN_ROWS``. Both paths run the same
  :func:`_clean_block`, so their output is identical (tests/imports/test_fast_paths.py).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice

from imports.rowcleaning import RowCleaner
from imports.staging import encode_rows

BATCH_ROWS = 2000
IN_FLIGHT = 3
PARALLEL_MIN_ROWS = 20_000

# The cleaner of the job being staged, inherited by forked workers.
_CLEANER: RowCleaner | None = None


def default_workers(approx_rows: int) -> int:
    """Worker processes for a file of about ``approx_rows`` rows: 0 (this process) or the cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if approx_rows < PARALLEL_MIN_ROWS or (cores or 1) < 2:
        return 0
    return cores


def _clean_block(batch: list[tuple[int, list[str]]]) -> tuple[bytes, int]:
    """(COPY text of the cleaned ``batch``, its row count)."""
    return encode_rows(_CLEANER.stage(batch)).encode(), len(batch)


def _batches(rows: Iterable[tuple[int, list[str]]], size: int) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def cleaned_blocks(
    cleaner: RowCleaner,
    rows: Iterable[tuple[int, list[str]]],
    *,
    workers: int,
    counter: list[int],
    batch_rows: int | None = None,
) -> Iterator[bytes]:
    """Yield COPY text blocks for ``rows`` (``(row number, cells)``), in order.

    ``counter[0]`` is increased by the rows of each block as it is yielded.
    Exceptions from reading ``rows`` (a bad file, a cancel) propagate at once
    and stop the workers; nothing is left running.
    """
    global _CLEANER
    _CLEANER = cleaner
    batch_rows = batch_rows or BATCH_ROWS
    try:
        if workers <= 0:
            for batch in _batches(rows, batch_rows):
                block, count = _clean_block(batch)
                counter[0] += count
                yield block
            return
        # fork: workers inherit the cleaner and its caches' code without pickling Django objects.
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pending: deque = deque()
            for batch in _batches(rows, batch_rows):
                pending.append(pool.apply_async(_clean_block, (batch,)))
                while len(pending) >= workers * IN_FLIGHT:
                    block, count = pending.popleft().get()
                    counter[0] += count
                    yield block
            while pending:
                block, count = pending.popleft().get()
                counter[0] += count
                yield block
    finally:
        _CLEANER = None
