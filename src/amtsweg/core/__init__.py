"""Shared plumbing: problem+json errors, request guards, template context and system checks."""
