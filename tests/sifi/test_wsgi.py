"""The production entry point (gunicorn sifi.wsgi:application) sets its process up."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wsgi_freezes_what_start_up_loaded_so_collections_skip_it():
    # A fresh interpreter: the test process's own collector is not the one to look at.
    script = "import gc, sifi.wsgi; print(gc.get_freeze_count())"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sifi.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    # Django, the apps and the URLconf: tens of thousands of objects, not a handful.
    assert int(result.stdout.strip()) > 10_000
