"""The header's inventory line: the domains the person administers, with their inventory and role pages."""

from django import template

from clusters.models import AddressDomain

register = template.Library()


@register.simple_tag(takes_context=True)
def administered_domains(context):
    """One query per page, only for a logged-in person; empty when he administers no domain."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return []
    return list(AddressDomain.objects.administered_by(user).only("pk", "name").order_by("name"))
