"""Authorities (tenants), their offices, teams and roles, responsibility routing and the access audit."""
