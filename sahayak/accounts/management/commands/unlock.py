"""``sahayak unlock LOGIN``: lift the sign-in lock of an agent (user name or email)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sahayak.accounts.backends import find_user
from sahayak.accounts.signin import unlock


class Command(BaseCommand):
    help = "Lift the lock put on an account after too many failed sign-ins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("login", help="user name or email address")

    def handle(self, *args: Any, login: str, **options: Any) -> None:
        user = find_user(login)
        if user is None:
            raise CommandError(f"No agent with user name or email {login!r}.")
        unlock(user, actor=None)
        self.stdout.write(f"{user.get_username()}: sign-in unlocked")
