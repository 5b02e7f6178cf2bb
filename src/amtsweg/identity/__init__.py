"""Accounts of citizens and staff; trust levels and login plug-ins come with the identity issue."""
