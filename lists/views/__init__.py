"""The lists pages: thin views over ``lists.services`` (writes), ``lists.selectors``
(reads) and the leads table (``leads.views.table``), which the list detail reuses.

- ``pages``: the lists page, create, detail (the members table), edit, delete;
- ``members``: adding and removing members (search-and-add, remove selected or
  all matching, the leads list's "Add to list" / "Remove from list", and the
  lead profile's lists block).
"""
