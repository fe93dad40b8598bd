from procedures.models.settings import SiteCommandSettings

__all__ = ["SiteCommandSettings"]
