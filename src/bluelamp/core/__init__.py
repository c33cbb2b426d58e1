"""Core: forces (tenants), geography, errors and the pieces every system shares."""
