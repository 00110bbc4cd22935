"""Download a commune's official open data (bureaux, results, IRIS, census, grid, addresses, streets) into a folder.

See :func:`canvass.fetch.fetch.fetch_commune`; the sources are listed in ``catalogue.toml``.
"""

from canvass.fetch.fetch import FetchReport, fetch_commune

__all__ = ["FetchReport", "fetch_commune"]
