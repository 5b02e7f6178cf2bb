"""Citizen-facing portal: alliance and authority pages, catalogue, search, service detail."""
