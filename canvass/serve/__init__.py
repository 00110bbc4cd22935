"""Serving the volunteers: the public team pages, their links, and the field API the pages post to."""
