"""``sahayak token create --email EMAIL``: print a new API token for that agent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sahayak.accounts.models import ApiToken, User
from sahayak.accounts.services import create_api_token, revoke_api_token


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it")
        create.add_argument("--email", required=True)
        create.add_argument("--name", default="")
        listing = sub.add_parser("list", help="list tokens (never their secrets)")
        listing.add_argument("--email")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, action: str, **opts: Any) -> None:
        if action == "create":
            user = User.objects.filter(email__iexact=opts["email"]).first()
            if user is None:
                raise CommandError(f"No agent with email {opts['email']}.")
            _token, secret = create_api_token(user=user, name=opts["name"])
            self.stdout.write(secret)
        elif action == "list":
            tokens = ApiToken.objects.select_related("user").order_by("id")
            if opts.get("email"):
                tokens = tokens.filter(user__email__iexact=opts["email"])
            for token in tokens:
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(f"{token.prefix}…\t{token.user.email}\t{token.name}\t{state}")
        else:
            found = ApiToken.objects.filter(prefix=opts["prefix"], revoked_at__isnull=True).first()
            if found is None:
                raise CommandError("No active token with that prefix.")
            revoke_api_token(token=found, actor=None)
            self.stdout.write("revoked")
