from django.contrib.auth import views as auth_views
from django.urls import path

from amtsweg.appointments import urls as appointments_urls
from amtsweg.baulasten import urls as baulasten_urls
from amtsweg.care import urls as care_urls
from amtsweg.cases import urls as cases_urls
from amtsweg.forms import urls as forms_urls
from amtsweg.identity import urls as identity_urls
from amtsweg.ifsg import urls as ifsg_urls
from amtsweg.notices import urls as notices_urls
from amtsweg.outbox import urls as outbox_urls
from amtsweg.payments import urls as payments_urls
from amtsweg.processes import urls as processes_urls
from amtsweg.vehicles import urls as vehicles_urls

from . import views

app_name = "backoffice"
urlpatterns = [
    path("anmelden/", views.LoginView.as_view(), name="login"),
    path("abmelden/", auth_views.LogoutView.as_view(next_page="backoffice:login"), name="logout"),
    *identity_urls.backoffice_patterns,  # before the "<ags>/" pages: fixed paths win
    path("", views.home, name="home"),
    path("<str:ags>/", views.dashboard, name="dashboard"),
    path("<str:ags>/leistungen/", views.offering_list, name="offerings"),
    path("<str:ags>/leistungen/<int:pk>/", views.offering_edit, name="offering-edit"),
    path("<str:ags>/teams/", views.team_list, name="teams"),
    path("<str:ags>/protokoll/", views.audit_log, name="audit-log"),
    *forms_urls.backoffice_patterns,
    *cases_urls.backoffice_patterns,
    *notices_urls.backoffice_patterns,
    *outbox_urls.backoffice_patterns,
    *processes_urls.backoffice_patterns,
    *payments_urls.backoffice_patterns,
    *appointments_urls.backoffice_patterns,
    *vehicles_urls.backoffice_patterns,
    *ifsg_urls.backoffice_patterns,
    *care_urls.backoffice_patterns,
    *baulasten_urls.backoffice_patterns,
]
