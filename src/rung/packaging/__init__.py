"""packaging."""

__all__: list[str] = []
