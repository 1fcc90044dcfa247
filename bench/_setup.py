"""Django setup for scripts in bench/ (they run outside the test suite)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sahayak.settings")

import django  # noqa: E402

django.setup()
