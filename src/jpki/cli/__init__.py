"""The ``jpkitool`` command line: a thin click layer over :mod:`jpki`."""
