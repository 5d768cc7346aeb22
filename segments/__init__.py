"""Dynamic segments: saved rules over leads (the rule language is ``segments.rules``)."""
