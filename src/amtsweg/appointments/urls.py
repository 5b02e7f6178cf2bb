"""Appointment pages: booking and the secret manage link in the portal, the waiting room (check-in and
call-up display), and the office's calendar, queue, capacity and statistics in the back office."""

from django.urls import URLPattern

from . import urls_portal, urls_queue, urls_staff

portal_patterns: list[URLPattern] = [
    *urls_portal.portal_patterns,
    *urls_queue.portal_patterns,
    *urls_staff.portal_patterns,
]
backoffice_patterns: list[URLPattern] = [
    *urls_portal.backoffice_patterns,
    *urls_queue.backoffice_patterns,
    *urls_staff.backoffice_patterns,
]
