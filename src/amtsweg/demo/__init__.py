"""Demo data of the Rhein-Kreis Neuss for the two-command demo and manual testing."""
