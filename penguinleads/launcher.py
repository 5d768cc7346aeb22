"""`make run` and `make test` in one place: database, migrations, processes.

Usage: ``python -m penguinleads.launcher run|test|db [args]``.

Without ``DATABASE_URL`` the embedded PostgreSQL in ``.pgdata/`` is started and
``DATABASE_URL`` is exported to every child process; a server this launcher
started is stopped again when it exits (Ctrl-C included). With
``DATABASE_URL`` set, that server is used and nothing is started or stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from penguinleads import embedded_db

PYTHON = sys.executable
MANAGE = [PYTHON, str(embedded_db.REPO_ROOT / "manage.py")]


def _manage(*args: str) -> None:
    subprocess.run([*MANAGE, *args], check=True, cwd=embedded_db.REPO_ROOT)


def _with_database(body) -> int:
    started = False
    if not os.environ.get("DATABASE_URL"):
        started = embedded_db.start()
        os.environ["DATABASE_URL"] = embedded_db.database_url()
    try:
        return body()
    finally:
        if started:
            embedded_db.stop()


def run() -> int:
    """Migrate, provision the demo workspace, serve on :8000 with one worker."""
    os.environ.setdefault("DJANGO_DEBUG", "1")
    port = os.environ.get("PORT", "8000")
    os.environ.setdefault("SITE_PORT", port)
    base = os.environ.get("BASE_DOMAIN", "localhost")

    def body() -> int:
        _manage("migrate_schemas", "--executor", "standard", "-v", "0")
        _manage("setup_demo")
        _manage("seed_demo", "demo")
        procs = [
            subprocess.Popen([*MANAGE, "runserver", f"0.0.0.0:{port}", "--noreload"]),
            subprocess.Popen([*MANAGE, "procrastinate", "worker"]),
        ]
        print(
            f"\n  PenguinLeads is running: http://demo.{base}:{port}/\n"
            f"  Sign in as owner@demo.example with password 'penguin-demo'.\n"
            f"  Platform site: http://{base}:{port}/   (Ctrl-C stops everything)\n",
            flush=True,
        )
        return _wait(procs)

    return _with_database(body)


def _wait(procs: list[subprocess.Popen]) -> int:
    def terminate(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        return next(p.returncode for p in procs if p.poll() is not None)
    except KeyboardInterrupt:
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def test(pytest_args: list[str]) -> int:
    """Lint, Django checks, migration check, then the whole suite."""

    def body() -> int:
        steps = [
            [PYTHON, "-m", "ruff", "check", "."],
            [PYTHON, "-m", "ruff", "format", "--check", "."],
            [*MANAGE, "check", "--fail-level", "WARNING"],
            [*MANAGE, "makemigrations", "--check", "--dry-run"],
            [PYTHON, "-m", "pytest", *pytest_args],
        ]
        for step in steps:
            print("+", " ".join(step[1:] if step[0] == PYTHON else step), flush=True)
            code = subprocess.run(step, cwd=embedded_db.REPO_ROOT).returncode
            if code:
                return code
        return 0

    return _with_database(body)


def db() -> int:
    """Start the embedded server and print its URL (it keeps running)."""
    embedded_db.start()
    print(embedded_db.database_url())
    return 0


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command == "run":
        return run()
    if command == "test":
        return test(rest)
    if command == "db":
        return db()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
