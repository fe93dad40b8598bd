from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from clusters.demo import LoginForm
from portal.api.errors import not_found
from procedures.views.home import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("inventory/", include("clusters.urls")),
    path("procedures/", include("procedures.urls")),
    # The JSON API (docs/API.md): tokens and the schema, the inventory, runs and steps
    path("api/", include("portal.api.urls")),
    path("api/", include("clusters.api.urls")),
    path("api/", include("procedures.api.urls")),
    re_path(r"^api/", not_found),
]
