"""The ``sahayak`` console script: Django's management commands plus Sahayak's own."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

# Set by ``serve`` for its companion processes: the pid they belong to.
PARENT_ENV = "SAHAYAK_SERVE_PID"


def _exit_with_parent(parent: int) -> None:
    """A companion of ``serve`` stops (gracefully, by SIGTERM) once ``serve`` is gone,
    however it went: its parent then changes."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)
        os._exit(1)  # it did not stop by itself

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sahayak.settings")
    parent = os.environ.pop(PARENT_ENV, "")
    if parent.isdigit():
        _exit_with_parent(int(parent))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
