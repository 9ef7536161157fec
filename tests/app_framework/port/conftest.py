"""The Flask originals' tests are run on Flask by test_port.py, in a
process of their own; this suite collects only the ports."""

collect_ignore = ["flask_journal_tests"]
