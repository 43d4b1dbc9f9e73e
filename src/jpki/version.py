"""jpkitool's version (``jpki.__version__``), in a module of its own so that a
module the package's names come from (a recording's header in :mod:`jpki.session`)
can name it without importing the package back."""

__version__ = "0.1.0"
