"""Amtsweg: online administrative services for a German district (Kreis) and its towns."""
