"""jpkitool: the My Number Card over PC/SC."""

__version__ = "0.1.0"
