from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from django.contrib import admin  # the admin imports models: only once the apps are ready

        # The administration is the portal's, in the reader's language (Django's default names "Django").
        admin.site.site_header = admin.site.site_title = _("Groupmax cluster portal")
        admin.site.index_title = _("Administration")
