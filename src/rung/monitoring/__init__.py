"""monitoring."""

__all__: list[str] = []
