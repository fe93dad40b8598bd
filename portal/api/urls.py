"""The API's own routes: tokens, the OpenAPI schema and its Swagger UI (served from drf-spectacular-sidecar)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from portal.api.tokens import ObtainTokenView, TokenViewSet

router = SimpleRouter()
router.register("tokens", TokenViewSet, basename="api-token")

urlpatterns = [
    path("token/", ObtainTokenView.as_view(), name="api-token-create"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    *router.urls,
]
