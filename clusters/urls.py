from django.urls import path

from clusters import views

app_name = "clusters"
urlpatterns = [
    path("", views.DomainListView.as_view(), name="domain-list"),
    path("domains/<int:pk>/", views.DomainDetailView.as_view(), name="domain-detail"),
    path("servers/<int:pk>/", views.ServerDetailView.as_view(), name="server-detail"),
    path("clusters/<int:pk>/", views.ClusterDetailView.as_view(), name="cluster-detail"),
]
