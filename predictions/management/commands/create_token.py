"""Create, show, rotate or revoke a user's API token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = ("Print the API token of USER, creating it (and with --create-user, the user) if needed; "
            "--rotate replaces it, --revoke deletes it.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--create-user", action="store_true", help="create USER (no password, API only)")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--rotate", action="store_true", help="replace an existing token")
        action.add_argument("--revoke", action="store_true", help="delete USER's token: API calls with it get 401")

    def handle(self, *args: Any, username: str, create_user: bool, rotate: bool, revoke: bool,
               **options: Any) -> None:
        users = get_user_model()
        user = users.objects.filter(username=username).first()
        if revoke:
            if user is None:
                raise CommandError(f"no user {username!r}")
            deleted, _ = Token.objects.filter(user=user).delete()
            self.stdout.write(f"revoked the token of {username}" if deleted else f"{username} had no token")
            return
        if user is None:
            if not create_user:
                raise CommandError(f"no user {username!r}; pass --create-user to create one")
            user = users.objects.create_user(username=username)
            user.set_unusable_password()
            user.save()
        if rotate:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
