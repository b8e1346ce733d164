"""URL map. Contract paths (see DESIGN.md): /, /drift/, /admin/, /api/v1/…, /api/schema/,
/api/docs/, /healthz, /readyz."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from studentml_site import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("studentml_site.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("drift/", include("drift.urls")),
    path("run-now/", include("retraining.urls")),
    path("", include("predictions.urls")),
]
