"""API tokens: a person may hold several (one per script), list them and revoke each.

Only the SHA-256 digest of a token is stored; the token itself is shown once, when it is made, so a copy of
the database or of a page never carries a usable credential.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PREFIX_LENGTH = 8
TOUCH_EVERY_S = 60  # "last used" is written at most once a minute per token, not on every request


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100, blank=True, help_text=_("What the token is for."))
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, help_text=_("Its first characters."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name, verbose_name_plural = _("API token"), _("API tokens")
        ordering = ("-created_at", "-pk")

    def __str__(self):
        return f"{self.prefix}… ({self.user_id})"

    @classmethod
    def issue(cls, user, name: str = "") -> tuple["ApiToken", str]:
        """A new token for ``user``: the record and the key, which is never stored and never shown again."""
        key = secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, digest=digest_of(key), prefix=key[:PREFIX_LENGTH]), key

    @classmethod
    def holder_of(cls, key: str):
        """The active user whose token ``key`` is, or None; notes when the token was last used."""
        token = cls.objects.select_related("user").filter(digest=digest_of(key or "")).first()
        if token is None or not token.user.is_active:
            return None
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > TOUCH_EVERY_S:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user
