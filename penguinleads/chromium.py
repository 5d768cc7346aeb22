"""Find (or, as root on Debian, install) the Chromium the browser tests drive.

Order: ``$CHROMIUM_PATH``, then ``/usr/bin/chromium``. As root with apt-get
available it installs Debian's ``chromium`` package; otherwise it stops with
a one-line instruction.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

DEBIAN_PATH = "/usr/bin/chromium"


def find() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), DEBIAN_PATH):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def ensure() -> int:
    if find():
        return 0
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing Debian's chromium for the browser tests…", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        if find():
            return 0
    print(
        "Chromium not found: run `sudo apt-get install chromium` "
        "or set CHROMIUM_PATH to a Chromium binary.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(ensure() if sys.argv[1:] == ["ensure"] else 2)
