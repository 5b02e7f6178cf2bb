"""Reminders to facilities that have not reported, and the Heimaufsicht's list of those that keep
not reporting (H-FRESH)."""
