"""URL map. Contract paths (see DESIGN.md): /, /drift/, /admin/, /api/v1/…, /api/schema/,
/api/docs/, /healthz, /readyz."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from studentml_site import api_errors, health

admin.site.site_header = "studentml administration"
admin.site.site_title = "studentml administration"
admin.site.index_title = "Model registry, users and tokens"

# Under /api/ these answer in the API's JSON error shape; elsewhere with the site's pages.
handler400 = api_errors.bad_request
handler403 = api_errors.forbidden
handler404 = api_errors.not_found
handler500 = api_errors.server_error

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    # Sign-in and password change only: no mail is sent from here, so a password-reset page
    # would promise an email that never comes. An administrator resets passwords in /admin/.
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("api/v1/", include("studentml_site.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("drift/", include("drift.urls")),
    path("run-now/", include("retraining.urls")),
    path("", include("predictions.urls")),
]
