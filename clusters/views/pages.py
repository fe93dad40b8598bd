"""Read-only inventory pages; the forms that change the inventory are in ``inventory`` and ``roles``."""

from django.views.generic import DetailView, ListView

from clusters.choices import DomainRoleName
from clusters.history import changes
from clusters.models import AddressDomain, Cluster, GroupmaxServer, Node
from clusters.rules import has_role


def _administers(request, domain) -> bool:
    return domain is not None and has_role(request.user, domain, DomainRoleName.DOMAIN_ADMIN)


class DomainListView(ListView):
    template_name = "clusters/domain_list.html"
    context_object_name = "domains"

    def get_queryset(self):
        return AddressDomain.objects.visible_to(self.request.user).select_related("site").prefetch_related("servers")

    def get_context_data(self, **kwargs):
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "changed_nodes": Node.objects.visible_to(user).host_key_changed().select_related("cluster"),
            "changed_servers": GroupmaxServer.objects.visible_to(user).host_key_changed(),
        }


class DomainDetailView(DetailView):
    template_name = "clusters/domain_detail.html"
    context_object_name = "domain"

    def get_queryset(self):
        return AddressDomain.objects.visible_to(self.request.user).select_related("site")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["servers"] = self.object.servers.select_related("cluster").prefetch_related("cluster__nodes")
        context["history"] = changes(self.object)
        context["may_admin"] = _administers(self.request, self.object)
        return context


class ServerDetailView(DetailView):
    template_name = "clusters/server_detail.html"
    context_object_name = "server"

    def get_queryset(self):
        return (
            GroupmaxServer.objects.visible_to(self.request.user)
            .with_host_key_state()
            .select_related("domain__site", "cluster")
        )

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "history": changes(self.object),
            "may_admin": _administers(self.request, self.object.domain),
        }


class ClusterDetailView(DetailView):
    template_name = "clusters/cluster_detail.html"
    context_object_name = "cluster"

    def get_queryset(self):
        return Cluster.objects.visible_to(self.request.user).select_related("server__domain__site")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["nodes"] = self.object.nodes.with_host_key_state().select_related("credential")
        context["filesystems"] = self.object.filesystems.all()
        context["history"] = changes(self.object)
        context["node_history"] = [(node, changes(node)) for node in context["nodes"]]
        context["may_admin"] = _administers(self.request, self.object.domain)
        return context
