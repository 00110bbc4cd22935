"""Stage 1: official open-data files -> tidy tables with canonical codes, in Lambert-93."""
