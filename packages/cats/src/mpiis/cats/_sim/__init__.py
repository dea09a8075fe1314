"""The planted-monster simulator (private)."""
