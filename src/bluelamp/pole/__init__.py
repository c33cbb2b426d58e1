"""POLE: people, objects, locations and events linked across every record."""
