"""serving."""

__all__: list[str] = []
