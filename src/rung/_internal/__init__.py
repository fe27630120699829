"""Helpers shared by several domains. Imports nothing else of Rung."""
