"""governance."""

__all__: list[str] = []
