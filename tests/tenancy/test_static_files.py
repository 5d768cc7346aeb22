"""Static files: development serves them as they are, production only once collected."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test.utils import override_settings

from penguinleads import launcher
from penguinleads import settings as default_settings
from penguinleads.tenancy.checks import check_collected_static, require_collected_static

MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


def production_static(root) -> override_settings:
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    return override_settings(
        STATIC_ROOT=root, STORAGES=storages, WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
    )  # fmt: skip


def test_development_defaults_serve_pages_and_static_files_without_collectstatic(client_for):
    assert not default_settings.SECURE  # the defaults: no DJANGO_SECURE in the environment
    defaults = override_settings(
        STORAGES=default_settings.STORAGES,
        WHITENOISE_USE_FINDERS=default_settings.WHITENOISE_USE_FINDERS,
        WHITENOISE_AUTOREFRESH=default_settings.WHITENOISE_AUTOREFRESH,
    )
    with defaults:
        # A client's middleware (WhiteNoise's included) loads at its first request: here.
        client = client_for("Owner")
        page = client.get("/")
        assert page.status_code == 200
        assert '<script src="/static/js/app.js"' in page.content.decode()
        script = client.get("/static/js/app.js")
        assert script.status_code == 200
        assert b"tom-select" in b"".join(script.streaming_content).lower()
    assert check_collected_static(None) == []


def test_production_refuses_to_start_without_collected_static_files(tmp_path):
    with production_static(tmp_path):
        errors = check_collected_static(None)
        assert [e.id for e in errors] == ["penguinleads.E002"]
        assert "not collected" in errors[0].msg and str(tmp_path) in errors[0].msg
        assert "manage.py collectstatic" in errors[0].hint
        with pytest.raises(ImproperlyConfigured, match="collectstatic"):
            require_collected_static()


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    with production_static(root):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


def test_production_starts_and_serves_hashed_files_once_collected(collected, client_for):
    with production_static(collected):
        assert check_collected_static(None) == []
        require_collected_static()
        page = client_for("Owner").get("/")
        assert page.status_code == 200
        assert re.search(r'<script src="/static/js/app\.[0-9a-f]{12}\.js"', page.content.decode())


def test_production_refuses_files_collected_before_the_code_changed(collected, tmp_path):
    stale = tmp_path / "static"
    stale.mkdir()
    manifest = json.loads((collected / "staticfiles.json").read_text())
    del manifest["paths"]["js/app.js"]
    (stale / "staticfiles.json").write_text(json.dumps(manifest))
    with production_static(stale):
        errors = check_collected_static(None)
    assert [e.id for e in errors] == ["penguinleads.E002"]
    assert "1 static file(s) are missing" in errors[0].msg and "js/app.js" in errors[0].msg
    assert "collectstatic" in errors[0].hint


REPO = Path(__file__).resolve().parents[2]


def production_run(code_or_command: list[str], static_root) -> subprocess.CompletedProcess:
    env = launcher.deploy_check_env(str(static_root))
    return subprocess.run(
        [sys.executable, *code_or_command], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def test_production_commands_and_the_wsgi_server_refuse_to_start_without_collectstatic(tmp_path):
    check = production_run(["manage.py", "check"], tmp_path)
    assert check.returncode != 0
    assert "penguinleads.E002" in check.stderr and "collectstatic" in check.stderr
    # gunicorn runs no system checks: loading the WSGI application refuses instead.
    wsgi = production_run(["-c", "import penguinleads.wsgi"], tmp_path)
    assert wsgi.returncode != 0
    assert "ImproperlyConfigured" in wsgi.stderr and "collectstatic" in wsgi.stderr
