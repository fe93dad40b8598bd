"""Evidence of a console step: the screenshot an operator attaches when confirming what the dialog showed.

Files live under ``MEDIA_ROOT`` (``var/media``), never under a public URL: ``procedures.views.console``
serves them only to people with a role in the run's domain. The content decides the type (PNG or JPEG,
opened and verified by Pillow), not the file name; the SHA-256 goes into the run's append-only audit.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from procedures import exceptions as exc
from procedures.querysets import AppendOnlyQuerySet

FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg")}
MAGIC = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


def max_bytes() -> int:
    return int(getattr(settings, "PORTAL_SCREENSHOT_MAX_BYTES", 5 * 1024 * 1024))


@dataclass(frozen=True)
class ScreenshotInfo:
    format: str  # "PNG" or "JPEG"
    sha256: str
    size: int
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][0]

    @property
    def extension(self) -> str:
        return FORMATS[self.format][1]

    def as_audit(self) -> dict:
        return {"sha256": self.sha256, "size": self.size, "type": self.content_type, "width": self.width,
                "height": self.height}  # fmt: skip


def inspect_screenshot(upload) -> ScreenshotInfo:
    """Refuse anything but a PNG or JPEG no larger than the limit, judged by the bytes; hash what is kept."""
    from PIL import Image, UnidentifiedImageError  # Pillow loads only when a screenshot is checked

    name = getattr(upload, "name", "") or "?"
    limit = max_bytes()
    size = upload.size if upload.size is not None else len(upload.read())
    if size > limit:
        raise exc.ScreenshotRefused(
            name=name,
            reason=_("it is {size:.1f} MB; at most {limit:.1f} MB is accepted").format(
                size=size / 1024 / 1024, limit=limit / 1024 / 1024
            ),
        )
    upload.seek(0)
    head = upload.read(8)
    magic = next((fmt for prefix, fmt in MAGIC.items() if head.startswith(prefix)), None)
    not_an_image = _("only PNG and JPEG images are accepted, and this file's content is neither")
    if magic is None:
        raise exc.ScreenshotRefused(name=name, reason=not_an_image)
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            fmt, (width, height) = image.format, image.size
            image.verify()  # structure and checksums, without decoding every pixel
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise exc.ScreenshotRefused(name=name, reason=not_an_image) from None
    if fmt != magic or fmt not in FORMATS:
        raise exc.ScreenshotRefused(name=name, reason=not_an_image)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1 << 16), b""):
        digest.update(chunk)
    upload.seek(0)
    return ScreenshotInfo(format=fmt, sha256=digest.hexdigest(), size=size, width=width, height=height)


def _upload_to(instance: ConsoleScreenshot, filename: str) -> str:
    """Never the client's file name: run, step, attempt and hash."""
    extension = os.path.splitext(filename)[1]
    return f"console/run-{instance.step.run_id}/step-{instance.step_id}-{instance.sha256[:16]}{extension}"


class ConsoleScreenshot(models.Model):
    """A screenshot kept with a console step's confirmation; append-only like the events that cite its hash."""

    step = models.ForeignKey(
        "procedures.StepRun", on_delete=models.CASCADE, related_name="screenshots", verbose_name=gettext_lazy("step")
    )
    attempt = models.PositiveIntegerField(gettext_lazy("attempt"), default=0)
    image = models.FileField(gettext_lazy("screenshot"), upload_to=_upload_to, max_length=300)
    sha256 = models.CharField(gettext_lazy("SHA-256"), max_length=64)
    content_type = models.CharField(gettext_lazy("type"), max_length=20)
    size = models.PositiveIntegerField(gettext_lazy("size in bytes"))
    width = models.PositiveIntegerField(gettext_lazy("width"), default=0)
    height = models.PositiveIntegerField(gettext_lazy("height"), default=0)
    original_name = models.CharField(gettext_lazy("file name given"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=gettext_lazy("uploaded by")
    )
    uploaded_at = models.DateTimeField(gettext_lazy("uploaded at"), default=timezone.now)
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name, verbose_name_plural = gettext_lazy("console screenshot"), gettext_lazy("console screenshots")
        ordering = ("step", "uploaded_at", "pk")

    def __str__(self):
        return f"{self.step_id}: {self.sha256[:12]}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied("screenshots are append-only")
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("procedures:step-screenshot", args=[self.step_id, self.pk])

    def delete(self, *args, **kwargs):
        raise PermissionDenied("screenshots are append-only")

    @classmethod
    def store(cls, step, upload, info: ScreenshotInfo, *, by) -> ConsoleScreenshot:
        shot = cls(
            step=step,
            attempt=step.attempt,
            sha256=info.sha256,
            content_type=info.content_type,
            size=info.size,
            width=info.width,
            height=info.height,
            original_name=(getattr(upload, "name", "") or "")[:255],
            uploaded_by=by,
        )
        upload.seek(0)
        shot.image.save(f"screenshot.{info.extension}", upload, save=False)
        shot.save()
        return shot
