"""Command and Control: contacts from every channel, incidents, grading, the incident log."""
