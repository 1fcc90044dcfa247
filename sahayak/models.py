"""Operational state shared by every process: heartbeats of the background parts."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """The last sign of life of a long-running part (worker, fetchmail) on some host."""

    name = models.CharField(max_length=100, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%H:%M:%S}"
