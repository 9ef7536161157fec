"""A package of apps for the command-line tests to find."""
