"""Clean and encode rows on every core, in file order.

Cleaning (email-validator, phonenumbers, the Resource's widgets) is the
engine's costliest Python: about 80 µs a row on one core. :func:`cleaned_blocks`
cuts the row stream into batches and has helper processes turn each batch
into a block of COPY text (``imports.engine.rows.encode_rows``); the calling
process only reads the file and streams the blocks to PostgreSQL.

Contract:
- Each call owns its cleaner and its helpers: nothing lives in module or
  process-wide state, so previews and imports running at the same time in
  one process (threads of a web server, two workspaces) never see each
  other's mapping or custom fields.
- Output order is the input order, whatever the number of helpers: batch
  ``n`` goes to helper ``n mod helpers``, and blocks are collected in the
  same round.
- Memory stays bounded: a batch ends at ``BATCH_ROWS`` rows or once its
  cells hold ``BATCH_CHARS`` characters, and at most ``helpers * IN_FLIGHT``
  batches, holding at most ``IN_FLIGHT_CHARS`` characters beyond the last
  one sent, are queued or being cleaned at any time (a file of a few very
  long rows waits for each block instead of queueing them all).
- Helpers are ended whenever the call ends (done, a bad file, a cancel, a
  closed generator, a helper's own failure): asked to stop, then killed after
  ``STOP_GRACE`` seconds. No wait on a helper is unbounded: a helper that
  dies is noticed within ``POLL_SECONDS``, and the kernel kills the helpers
  of a process that was killed.
- Helpers never touch the database. They are forked with the cleaner
  (inherited, custom fields and owners included, never pickled), restore the
  default signal handlers (a worker's asyncio handlers would otherwise make
  them ignore the stop signal) and exit with ``os._exit``, so the parent's
  connections are left alone.
- Small files are cleaned in this process (``workers=0``): forking costs more
  than it saves below ``PARALLEL_MIN_ROWS``. Both paths run the same
  :func:`_clean_block`, so their output is identical (tests/imports/test_fast_paths.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import queue
import signal
import traceback
from collections import deque
from collections.abc import Iterable, Iterator

from imports.engine.cleaning import RowCleaner
from imports.engine.rows import encode_rows

BATCH_ROWS = 2000
IN_FLIGHT = 3
# Lead rows hold a few hundred characters: these bounds only cut batches of
# rows with very long cells (up to max_cell_chars each).
BATCH_CHARS = 2_000_000
IN_FLIGHT_CHARS = 8_000_000
PARALLEL_MIN_ROWS = 20_000
POLL_SECONDS = 0.5
STOP_GRACE = 2.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class CleaningFailed(RuntimeError):
    """A helper process failed or died; the job fails with this message."""


def default_workers(approx_rows: int) -> int:
    """Helper processes for a file of about ``approx_rows`` rows: 0 (this process) or the cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if approx_rows < PARALLEL_MIN_ROWS or (cores or 1) < 2:
        return 0
    return cores


def _clean_block(cleaner: RowCleaner, batch: list[tuple[int, list[str]]]) -> tuple[bytes, int]:
    """(COPY text of the cleaned ``batch``, its row count)."""
    return encode_rows(cleaner.stage(batch)).encode(), len(batch)


def _batches(rows: Iterable[tuple[int, list[str]]], size: int) -> Iterator[tuple[list, int]]:
    """``(batch, characters in its cells)``: up to ``size`` rows, fewer when they hold
    ``BATCH_CHARS`` characters."""
    batch: list[tuple[int, list[str]]] = []
    chars = 0
    for row in rows:
        batch.append(row)
        chars += len("".join(row[1]))  # the fastest count of a row's characters
        if chars >= BATCH_CHARS or len(batch) == size:
            yield batch, chars
            batch, chars = [], 0
    if batch:
        yield batch, chars


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
    Exceptions from reading ``rows`` (a bad file, a cancel) propagate at once;
    a helper's failure raises :class:`CleaningFailed`. Either way no helper is
    left running.
    """
    batch_rows = batch_rows or BATCH_ROWS
    if workers <= 0:
        for batch, _chars in _batches(rows, batch_rows):
            block, count = _clean_block(cleaner, batch)
            counter[0] += count
            yield block
        return
    with _Helpers(cleaner, workers) as helpers:
        sent = received = 0
        in_flight: deque[int] = deque()  # characters of each batch sent, not yet received
        for batch, chars in _batches(rows, batch_rows):
            helpers.send(sent, batch)
            sent += 1
            in_flight.append(chars)
            while sent - received >= workers * IN_FLIGHT or sum(in_flight) > IN_FLIGHT_CHARS:
                block, count = helpers.receive(received)
                received += 1
                in_flight.popleft()
                counter[0] += count
                yield block
        while received < sent:
            block, count = helpers.receive(received)
            received += 1
            counter[0] += count
            yield block


class _Helpers:
    """``size`` forked helper processes, each with its own task and result queue."""

    def __init__(self, cleaner: RowCleaner, size: int):
        context = multiprocessing.get_context("fork")
        self.tasks = [context.Queue() for _ in range(size)]
        self.results = [context.Queue() for _ in range(size)]
        self.processes = [
            context.Process(
                target=_serve,
                args=(cleaner, self.tasks[n], self.results[n], os.getpid()),
                name=f"import-cleaning-{n}",
                daemon=True,
            )
            for n in range(size)
        ]

    def __enter__(self) -> _Helpers:
        for process in self.processes:
            process.start()
        return self

    def send(self, number: int, batch: list) -> None:
        self.tasks[number % len(self.tasks)].put(batch)

    def receive(self, number: int) -> tuple[bytes, int]:
        """The result of batch ``number``; raises if its helper failed or died."""
        n = number % len(self.results)
        while True:
            try:
                outcome = self.results[n].get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not self.processes[n].is_alive():
                    raise CleaningFailed(
                        "A cleaning process stopped unexpectedly "
                        f"(exit code {self.processes[n].exitcode}); nothing was imported. "
                        "Try again; if it happens again the server may be short of memory."
                    ) from None
                continue
            if outcome[0] == "error":
                raise CleaningFailed(f"Cleaning failed: {outcome[1]}\n{outcome[2]}")
            return outcome[1], outcome[2]

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            for tasks in self.tasks:
                tasks.put(None)
            for process in self.processes:
                process.join(STOP_GRACE)
        for process in self.processes:
            if process.is_alive():
                process.kill()
        for process in self.processes:
            process.join(STOP_GRACE)
        for q in (*self.tasks, *self.results):
            # Never wait for a feeder thread to flush into a pipe nobody reads any more.
            q.cancel_join_thread()
            q.close()


def _die_with(parent: int) -> None:
    """Have the kernel SIGKILL this helper when the thread that forked it ends (Linux).

    A killed parent never sends the None, may leave half a batch in the pipe
    (a read would wait for the rest forever), and this helper holds copies of
    its database sockets, which would keep its sessions open: so the helper
    must not outlive it, however it dies.
    """
    with contextlib.suppress(OSError, AttributeError):  # no prctl: not Linux
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the kernel was told
        os._exit(1)


def _serve(cleaner: RowCleaner, tasks, results, parent: int) -> None:
    """A helper's loop: clean each batch it is sent until it receives None."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Ctrl-C reaches the whole process group; the parent decides when helpers end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.set_wakeup_fd(-1)
    _die_with(parent)
    while (batch := tasks.get()) is not None:
        try:
            results.put(("ok", *_clean_block(cleaner, batch)))
        except Exception as exc:  # reported to the parent, which fails the job
            results.put(("error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
            break
    results.close()
    results.join_thread()
