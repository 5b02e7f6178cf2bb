"""The oidc login plug-in (being written)."""


def register_methods() -> None:
    """Register this plug-in's login methods with identity.methods."""
