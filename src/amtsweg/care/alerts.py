"""Place alerts: subscription with double opt-in, matching a report against alerts, e-mails (H-ALERTS)."""
