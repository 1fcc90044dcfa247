"""``sahayak import_orders FILE.csv``: bulk order import with progress output."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sahayak.contacts.services import import_orders_csv


class Command(BaseCommand):
    help = "Import orders from a UTF-8 CSV file (re-running updates, never duplicates)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")

    def handle(self, *args: Any, path: str, **opts: Any) -> None:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            report = import_orders_csv(
                stream, progress=lambda n: self.stdout.write(f"  {n} rows…", ending="\r")
            )
        for error in report.errors or []:
            self.stderr.write(error)
        self.stdout.write(
            f"created {report.created}, updated {report.updated}, errors {len(report.errors or [])}"
        )
