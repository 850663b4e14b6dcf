"""The version of socialcare (read by hatchling, exported as ``socialcare.__version__``)."""

__version__ = "0.1.0.dev0"
