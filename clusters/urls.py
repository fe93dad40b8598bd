from django.urls import path

from clusters.views import inventory, pages, roles

app_name = "clusters"
urlpatterns = [
    path("", pages.DomainListView.as_view(), name="domain-list"),
    path("domains/<int:pk>/", pages.DomainDetailView.as_view(), name="domain-detail"),
    path("servers/<int:pk>/", pages.ServerDetailView.as_view(), name="server-detail"),
    path("clusters/<int:pk>/", pages.ClusterDetailView.as_view(), name="cluster-detail"),
    # Changes by a domain administrator (model rules and history as in the admin)
    path("domains/<int:pk>/servers/new/clustered/", inventory.ClusteredServerCreateView.as_view(), name="server-add"),
    path(
        "domains/<int:pk>/servers/new/standalone/",
        inventory.StandaloneServerCreateView.as_view(),
        name="server-add-standalone",
    ),
    path("servers/<int:pk>/edit/", inventory.ServerEditView.as_view(), name="server-edit"),
    path("clusters/<int:pk>/edit/", inventory.ClusterEditView.as_view(), name="cluster-edit"),
    path("clusters/<int:pk>/nodes/new/", inventory.NodeCreateView.as_view(), name="node-add"),
    path("nodes/<int:pk>/edit/", inventory.NodeEditView.as_view(), name="node-edit"),
    path("clusters/<int:pk>/filesystems/new/", inventory.FilesystemCreateView.as_view(), name="filesystem-add"),
    path("filesystems/<int:pk>/edit/", inventory.FilesystemEditView.as_view(), name="filesystem-edit"),
    # Roles
    path("domains/<int:pk>/roles/", roles.DomainRolesView.as_view(), name="domain-roles"),
    path("roles/<int:pk>/change/", roles.RoleChangeView.as_view(), name="role-change"),
    path("roles/<int:pk>/remove/", roles.RoleRemoveView.as_view(), name="role-remove"),
]
