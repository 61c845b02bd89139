"""Team work on git: field-level record merges, the git merge driver, sync,
history, undo and the repository check (issue 6).

Nothing in this package imports click; the commands live in
``solarcli/commands/sync.py``.
"""
