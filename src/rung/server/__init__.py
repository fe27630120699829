"""The HTTP interface: FastAPI apps (the model server; later the team server and UI)."""

__all__: list[str] = []
