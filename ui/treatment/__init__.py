"""Treatment course editor."""
