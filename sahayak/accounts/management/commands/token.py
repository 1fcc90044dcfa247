"""``sahayak token create --email EMAIL``: print a new API token for that agent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sahayak.accounts.models import ApiToken, TokenScope, User
from sahayak.accounts.services import create_api_token, revoke_api_token


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it")
        create.add_argument("--email", required=True)
        create.add_argument("--name", default="")
        create.add_argument(
            "--scope", choices=[c.value for c in TokenScope], default=TokenScope.FULL
        )
        create.add_argument("--expires-days", type=int, default=0, help="0: never expires")
        listing = sub.add_parser("list", help="list tokens (never their secrets)")
        listing.add_argument("--email")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, action: str, **opts: Any) -> None:
        if action == "create":
            user = User.objects.filter(email__iexact=opts["email"]).first()
            if user is None:
                raise CommandError(f"No agent with email {opts['email']}.")
            days = opts["expires_days"]
            if days < 0:
                raise CommandError("--expires-days must be 0 (never) or more.")
            expires_at = timezone.now() + timedelta(days=days) if days else None
            _token, secret = create_api_token(
                user=user, name=opts["name"], scope=opts["scope"], expires_at=expires_at
            )
            self.stdout.write(secret)
        elif action == "list":
            tokens = ApiToken.objects.select_related("user").order_by("id")
            if opts.get("email"):
                tokens = tokens.filter(user__email__iexact=opts["email"])
            for token in tokens:
                if token.revoked_at:
                    state = "revoked"
                elif token.expires_at and token.expires_at <= timezone.now():
                    state = "expired"
                else:
                    state = "active"
                self.stdout.write(
                    f"{token.prefix}…\t{token.user.email}\t{token.name}\t{token.scope}\t{state}"
                )
        else:
            found = ApiToken.objects.filter(prefix=opts["prefix"], revoked_at__isnull=True).first()
            if found is None:
                raise CommandError("No active token with that prefix.")
            revoke_api_token(token=found, actor=None)
            self.stdout.write("revoked")
