"""URL layout: portal at /, back office at /backoffice/, API at /api/v1/, Django admin at /admin/."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("api/v1/", include("amtsweg.api_urls")),
    # Staff log in once, with the second factor, through the back office; the admin has no login of its own.
    path("admin/login/", RedirectView.as_view(pattern_name="backoffice:login", query_string=True)),
    path("admin/", admin.site.urls),
    path("backoffice/", include("amtsweg.backoffice.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("amtsweg.portal.urls")),
]

handler400 = "amtsweg.portal.views.bad_request"
handler403 = "amtsweg.portal.views.permission_denied"
handler404 = "amtsweg.portal.views.page_not_found"
handler500 = "amtsweg.portal.views.server_error"
