"""Submission check: see ``services.instruction_submission_check``."""
