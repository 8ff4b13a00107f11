"""Engagement intelligence for neighbourhood policing: the operator shell (settings, logging, CLI)."""
