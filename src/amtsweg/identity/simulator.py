"""The demo identity simulator (being written)."""


def register_methods() -> None:
    """Register the simulator (demo mode only)."""
