"""The project's URLs with a bare ``hello`` view in front: the baseline for the HTTP load benchmark."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from amtsweg import urls as project_urls

handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello")


urlpatterns = [
    path("bench/hello/", hello),
    *project_urls.urlpatterns,
]
