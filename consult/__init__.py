"""consult: turn free-text consultation responses into an honest, published summary."""

__version__ = "0.1.0"
