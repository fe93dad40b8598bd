"""Forms that create and change servers, clusters, nodes and shared file systems, for domain administrators.

A view finds the object among what the person may see (404 otherwise), refuses a person who does not
administer its domain (403), and hands the bound form's object to ``clusters.services``, which checks it again
and saves it with its history. A rule that refuses the object comes back as the form's error, in words.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from clusters import forms, services
from clusters.choices import DomainRoleName
from clusters.models import AddressDomain, Cluster, GroupmaxServer, Node, SharedFilesystem
from clusters.rules import has_role
from portal.errors import PortalError

TEMPLATE = "clusters/inventory_form.html"


def attach(form, error: ValidationError) -> None:
    """Put a model's refusal on the form: on its field when the form shows it, else above the form, named."""
    form.add_error(None, forms.shown_on(form, error))


def require_admin(request, domain) -> None:
    if domain is None or not has_role(request.user, domain, DomainRoleName.DOMAIN_ADMIN):
        raise PermissionDenied(_("Only a domain administrator of this domain changes its inventory."))


class InventoryFormView(View):
    """GET shows the form, POST saves through the service; subclasses say which object and which form."""

    form_class = None
    heading = ""

    def load(self, request, **kwargs):
        """(object to bind, domain it belongs to now, page to go back to)."""
        raise NotImplementedError

    def form_for(self, request, obj, data=None):
        return self.form_class(data, instance=obj, user=request.user)

    def context(self, request, obj, form, back) -> dict:
        return {"forms": [form], "heading": self.heading_for(obj), "back": back, "object": obj}

    def heading_for(self, obj) -> str:
        return self.heading

    def get(self, request, **kwargs):
        obj, domain, back = self.load(request, **kwargs)
        require_admin(request, domain)
        return render(request, TEMPLATE, self.context(request, obj, self.form_for(request, obj), back))

    def post(self, request, **kwargs):
        obj, domain, back = self.load(request, **kwargs)
        require_admin(request, domain)
        form = self.form_for(request, obj, request.POST)
        if form.is_valid():
            try:
                saved = services.save_object(form.save(commit=False), user=request.user)
            except ValidationError as e:
                attach(form, e)
            except PortalError as e:
                form.add_error(None, str(e))
            else:
                messages.success(request, _("Saved: {object}.").format(object=saved))
                return redirect(self.after(saved, back))
        return render(request, TEMPLATE, self.context(request, obj, form, back), status=400)

    def after(self, saved, back) -> str:
        return back


def _visible(model, request, pk):
    return get_object_or_404(model.objects.visible_to(request.user), pk=pk)


def _cluster_page(cluster) -> str:
    return cluster.get_absolute_url()


class ServerEditView(InventoryFormView):
    def load(self, request, pk):
        server = _visible(GroupmaxServer, request, pk)
        return server, server.domain, server.get_absolute_url()

    def form_for(self, request, obj, data=None):
        form_class = forms.ServerForm if obj.cluster_id else forms.StandaloneServerForm
        return form_class(data, instance=obj, user=request.user)

    def heading_for(self, obj):
        return _("Edit server {server}").format(server=obj.name)


class StandaloneServerCreateView(InventoryFormView):
    form_class = forms.StandaloneServerForm

    def load(self, request, pk):
        domain = _visible(AddressDomain, request, pk)
        return GroupmaxServer(domain=domain), domain, domain.get_absolute_url()

    def heading_for(self, obj):
        return _("New standalone server in {domain}").format(domain=obj.domain)

    def after(self, saved, back):
        return saved.get_absolute_url()


class ClusteredServerCreateView(InventoryFormView):
    """A new server on a new cluster: two forms on one page, saved together or not at all."""

    def load(self, request, pk):
        domain = _visible(AddressDomain, request, pk)
        return GroupmaxServer(domain=domain), domain, domain.get_absolute_url()

    def _forms(self, request, server, data=None):
        return (
            forms.NewClusteredServerForm(data, instance=server, user=request.user, prefix="server"),
            forms.ClusterForm(data, instance=Cluster(), user=request.user, prefix="cluster"),
        )

    def _page(self, request, server, pair, back, status=200):
        heading = _("New clustered server in {domain}").format(domain=server.domain)
        return render(request, TEMPLATE, {"forms": pair, "heading": heading, "back": back}, status=status)

    def get(self, request, pk):
        server, domain, back = self.load(request, pk)
        require_admin(request, domain)
        return self._page(request, server, self._forms(request, server), back)

    def post(self, request, pk):
        server, domain, back = self.load(request, pk)
        require_admin(request, domain)
        server_form, cluster_form = pair = self._forms(request, server, request.POST)
        if server_form.is_valid() and cluster_form.is_valid():
            try:
                saved = services.create_clustered_server(
                    server_form.save(commit=False), cluster_form.save(commit=False), user=request.user
                )
            except ValidationError as e:
                if hasattr(e, "error_dict") and "cluster" in e.error_dict and len(e.error_dict) == 1:
                    for inner in e.error_dict["cluster"]:
                        attach(cluster_form, inner)
                else:
                    attach(server_form, e)
            except PortalError as e:
                server_form.add_error(None, str(e))
            else:
                messages.success(request, _("Saved: {object}.").format(object=saved))
                return redirect(saved.cluster.get_absolute_url())
        return self._page(request, server, pair, back, status=400)


class ClusterEditView(InventoryFormView):
    form_class = forms.ClusterForm

    def load(self, request, pk):
        cluster = get_object_or_404(Cluster.objects.visible_to(request.user).select_related("server__domain"), pk=pk)
        return cluster, cluster.domain, cluster.get_absolute_url()

    def heading_for(self, obj):
        return _("Edit cluster {cluster}").format(cluster=obj.name)


class NodeCreateView(InventoryFormView):
    form_class = forms.NodeForm

    def load(self, request, pk):
        cluster = get_object_or_404(Cluster.objects.visible_to(request.user).select_related("server__domain"), pk=pk)
        taken = set(cluster.nodes.values_list("position", flat=True))
        position = next((p for p in (1, 2) if p not in taken), None)
        return Node(cluster=cluster, position=position), cluster.domain, cluster.get_absolute_url()

    def heading_for(self, obj):
        return _("New node of cluster {cluster}").format(cluster=obj.cluster.name)


class NodeEditView(InventoryFormView):
    form_class = forms.NodeForm

    def load(self, request, pk):
        node = get_object_or_404(Node.objects.visible_to(request.user).select_related("cluster__server__domain"), pk=pk)
        return node, node.cluster.domain, node.cluster.get_absolute_url()

    def heading_for(self, obj):
        return _("Edit node {node}").format(node=obj.host_name)

    def after(self, saved, back):
        return saved.cluster.get_absolute_url()


class FilesystemCreateView(InventoryFormView):
    form_class = forms.FilesystemForm

    def load(self, request, pk):
        cluster = get_object_or_404(Cluster.objects.visible_to(request.user).select_related("server__domain"), pk=pk)
        order = cluster.filesystems.count()
        return SharedFilesystem(cluster=cluster, order=order), cluster.domain, cluster.get_absolute_url()

    def heading_for(self, obj):
        return _("New shared file system of cluster {cluster}").format(cluster=obj.cluster.name)


class FilesystemEditView(InventoryFormView):
    form_class = forms.FilesystemForm

    def load(self, request, pk):
        fs = get_object_or_404(
            SharedFilesystem.objects.filter(cluster__in=Cluster.objects.visible_to(request.user)).select_related(
                "cluster__server__domain"
            ),
            pk=pk,
        )
        return fs, fs.cluster.domain, fs.cluster.get_absolute_url()

    def heading_for(self, obj):
        return _("Edit shared file system {fs}").format(fs=obj)
