from rest_framework.routers import SimpleRouter

from clusters.api import views

router = SimpleRouter()
router.register("sites", views.SiteViewSet, basename="api-site")
router.register("domains", views.DomainViewSet, basename="api-domain")
router.register("servers", views.ServerViewSet, basename="api-server")
router.register("clusters", views.ClusterViewSet, basename="api-cluster")
router.register("nodes", views.NodeViewSet, basename="api-node")
urlpatterns = router.urls
