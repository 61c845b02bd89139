"""Proposals: templates, rendering, proposal records (issue 5). Never imports click."""
