"""`make bench`: the service's figures measured side by side in one run, written as a report.

Nothing here runs at import: the bare app that the cold-start figure serves imports this package
in the lean venv, which has none of the bench's dependencies.
"""
