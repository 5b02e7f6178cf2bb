"""URL layout: portal at /, back office at /backoffice/, API at /api/v1/, Django admin at /admin/."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("amtsweg.api_urls")),
    path("admin/", admin.site.urls),
    path("backoffice/", include("amtsweg.backoffice.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("amtsweg.portal.urls")),
]

handler400 = "amtsweg.portal.views.bad_request"
handler403 = "amtsweg.portal.views.permission_denied"
handler404 = "amtsweg.portal.views.page_not_found"
handler500 = "amtsweg.portal.views.server_error"
