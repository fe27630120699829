"""catalog."""

__all__: list[str] = []
