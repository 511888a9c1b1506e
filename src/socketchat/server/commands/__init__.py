"""IRC commands: the declarative table (`table.py`), the dispatcher, and one module per area."""
