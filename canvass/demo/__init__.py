"""The demo commune: generated deterministically, written in the official formats."""

from canvass.demo.commune import COMMUNE as DEMO_COMMUNE
from canvass.demo.writer import write_demo

__all__ = ["DEMO_COMMUNE", "write_demo"]
