"""Outbox handlers of vehicle registration (registered on import)."""
