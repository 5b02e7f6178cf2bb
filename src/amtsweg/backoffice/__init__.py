"""Staff-facing back office shell: login, authority switcher, offerings, teams, audit log."""
