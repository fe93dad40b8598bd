"""Which objects a person may put into a foreign key of the inventory: those of the domains he administers.

The portal's inventory forms offer only these, and the services check the saved object again, field by field,
so that a posted id outside the choices (a hand-made request) is refused rather than trusted.
"""

from django.core.exceptions import ValidationError
from django.db.models import ForeignKey, OneToOneField, Q
from django.utils.translation import gettext_lazy as _

from clusters.models import AddressDomain, Cluster, Credential, GroupmaxServer, Node, Site
from clusters.querysets import administered


def choices_for(user, model):
    """The objects of ``model`` ``user`` may choose: those of the domains he administers.

    None means "not limited" (a superuser; or a user picked for a membership, for instance). Credentials and
    sites are superusers' records: a domain administrator may only choose among the credentials already given
    to the machines of his domains, and the sites of his domains.
    """
    if user.is_superuser:
        return None
    domains = administered(user)
    if model is AddressDomain:
        return AddressDomain.objects.filter(pk__in=domains)
    if model is Cluster:
        return Cluster.objects.filter(server__domain__in=domains)
    if model is GroupmaxServer:
        return GroupmaxServer.objects.filter(domain__in=domains)
    if model is Node:
        return Node.objects.filter(cluster__server__domain__in=domains)
    if model is Credential:
        return Credential.objects.filter(
            Q(pk__in=Node.objects.filter(cluster__server__domain__in=domains).values("credential"))
            | Q(pk__in=GroupmaxServer.objects.filter(domain__in=domains).values("credential"))
        )
    if model is Site:
        return Site.objects.filter(domains__in=domains).distinct()
    return None


def check_choices(user, obj, fields=None) -> None:
    """Refuse (ValidationError, per field) a foreign key of ``obj`` outside what ``user`` may choose; ``fields``
    names the keys to check (all of them when None)."""
    errors = {}
    for field in obj._meta.concrete_fields:
        if not isinstance(field, ForeignKey | OneToOneField) or (fields is not None and field.name not in fields):
            continue
        value = getattr(obj, field.attname)
        allowed = choices_for(user, field.related_model)
        if value is not None and allowed is not None and not allowed.filter(pk=value).exists():
            errors[field.name] = _("You do not administer the {what} chosen for this object.").format(
                what=field.verbose_name
            )
    if errors:
        raise ValidationError(errors)
