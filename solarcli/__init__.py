"""solarcli: a git-backed CRM and proposal generator for solar installers."""

__version__ = "0.2.0"
