"""`manage.py organiser USERNAME`: let an account create debates (the "can organise debates" permission).

With `--create` the account is made first; its password is read from `--password`, else from the environment
variable ORGANISER_PASSWORD, else asked interactively. The first account of a fresh install is usually
`manage.py createsuperuser` (a superuser may do everything); this command makes organisers without admin rights.
"""

from __future__ import annotations

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Give an account the permission to organise debates (optionally creating the account)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--create", action="store_true", help="create the account if it does not exist")
        parser.add_argument("--password", default="", help="password of a created account")
        parser.add_argument("--email", default="")
        parser.add_argument("--revoke", action="store_true", help="take the permission away instead")

    def handle(self, *args, username: str, create: bool, password: str, email: str, revoke: bool, **opts) -> None:
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            if not create:
                raise CommandError(f"No account named {username!r} (add --create to make it).")
            password = password or os.environ.get("ORGANISER_PASSWORD", "") or getpass.getpass("Password: ")
            try:
                validate_password(password, User(username=username, email=email))
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
            user = User.objects.create_user(username=username, email=email, password=password)
            self.stdout.write(f"Created the account {username}.")
        perm = Permission.objects.get(content_type__app_label="debates", codename="organise_debates")
        if revoke:
            user.user_permissions.remove(perm)
            self.stdout.write(f"{username} can no longer organise debates.")
        else:
            user.user_permissions.add(perm)
            self.stdout.write(f"{username} can organise debates: sign in at /accounts/login/.")
