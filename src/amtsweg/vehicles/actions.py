"""Process actions of the Kreis road-traffic office (registered on import)."""
