"""`make run` and `make test` in one place: database, migrations, processes.

Usage: ``python -m penguinleads.launcher run|test|bench|db [args]``.

Without ``DATABASE_URL`` the embedded PostgreSQL in ``.pgdata/`` is started and
``DATABASE_URL`` is exported to every child process; a server this launcher
started is stopped again when it exits (Ctrl-C included). With
``DATABASE_URL`` set, that server is used and nothing is started or stopped.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
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


def deploy_check_env(static_root: str) -> dict[str, str]:
    """The environment of ``check --deploy``: production switches, a random real-looking key,
    and ``static_root`` for the collected static files (production refuses to start
    without them: run ``collectstatic`` with this environment first).

    Shared by ``make test`` and tests/security/test_web_security.py so both
    check the same production settings.
    """
    # The browser tests' async-unsafe switch belongs to the test process, not production.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {
        **base,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE": "1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "BASE_DOMAIN": "penguinleads.example",
        "STATIC_ROOT": static_root,
    }


def test(pytest_args: list[str]) -> int:
    """Lint, Django checks (development, then production's deploy check over static files
    collected as a deploy does), migrations, suite."""

    def body() -> int:
        with tempfile.TemporaryDirectory(prefix="penguinleads-static-") as static_root:
            deploy = deploy_check_env(static_root)
            steps = [
                ([PYTHON, "-m", "ruff", "check", "."], None),
                ([PYTHON, "-m", "ruff", "format", "--check", "."], None),
                ([*MANAGE, "check", "--fail-level", "WARNING"], None),
                ([*MANAGE, "collectstatic", "--noinput", "-v", "0"], deploy),
                ([*MANAGE, "check", "--deploy", "--fail-level", "WARNING"], deploy),
                ([*MANAGE, "makemigrations", "--check", "--dry-run"], None),
                ([PYTHON, "-m", "pytest", *pytest_args], None),
            ]
            for step, env in steps:
                print("+", " ".join(step[1:] if step[0] == PYTHON else step), flush=True)
                code = subprocess.run(step, cwd=embedded_db.REPO_ROOT, env=env).returncode
                if code:
                    return code
        return 0

    return _with_database(body)


# What `bench` raises the embedded server to. Reloaded at once, except
# shared_buffers and wal_buffers, which wait for a restart (see bench()).
BENCH_SETTINGS = {
    "shared_buffers": "1GB",
    # The default (16MB here) fills up during a 1M-row merge: the importing backend
    # then writes WAL itself (77k times) instead of the WAL writer on the other
    # core; 128MB made the merge 6 s faster (87.5 s → 81.0 s).
    "wal_buffers": "128MB",
    "max_wal_size": "4GB",
    "maintenance_work_mem": "512MB",
    "checkpoint_timeout": "15min",
    "work_mem": "64MB",
}


def _raise_settings() -> bool:
    """ALTER SYSTEM the bench settings on the embedded server and reload; True if a
    restart is still needed for some of them."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        for name, value in BENCH_SETTINGS.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        conn.execute("SELECT pg_reload_conf()")
        time.sleep(0.5)  # the reload is asynchronous
        return bool(
            conn.execute("SELECT count(*) FROM pg_settings WHERE pending_restart").fetchone()[0]
        )


def bench(args: list[str]) -> int:
    """Migrate, then run bench/run.py with ``args``.

    On the embedded server, raise its settings first and restart it when this
    launcher started it (or BENCH_RESTART=1): a server someone else is using
    is not restarted under them, and the buffers then wait for its next
    start (the bench prints what the server ran with). With DATABASE_URL set,
    the server's settings are left alone.
    """
    embedded = not os.environ.get("DATABASE_URL")

    def body() -> int:
        if embedded and _raise_settings():
            if embedded_db.is_running() and (
                started_here or os.environ.get("BENCH_RESTART") == "1"
            ):
                print("+ restarting the embedded server for its buffers", flush=True)
                embedded_db.stop()
                embedded_db.start()
                os.environ["DATABASE_URL"] = embedded_db.database_url()
            else:
                print(
                    "+ shared_buffers and wal_buffers apply at the server's next restart (it is "
                    "shared: not restarted; BENCH_RESTART=1 forces it)",
                    flush=True,
                )
        _manage("migrate_schemas", "--executor", "standard", "-v", "0")
        script = str(embedded_db.REPO_ROOT / "bench" / "run.py")
        return subprocess.run([PYTHON, script, *args], cwd=embedded_db.REPO_ROOT).returncode

    started_here = embedded and not embedded_db.is_running()
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
    if command == "bench":
        return bench(rest)
    if command == "db":
        return db()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
