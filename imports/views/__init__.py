"""The import wizard's pages, one module per step.

upload (1: file and how it was read), mapping (2: columns; remembered
mappings), options (3), preview (4: counts, tabs, problem rows), run (5:
confirm, progress, cancel), report (6: report, undo), history (the list, and
the job page that routes to whichever of these the job is at). Thin views:
permission, form, one service or selector call, message, redirect or render.
"""
