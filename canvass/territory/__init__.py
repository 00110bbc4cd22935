"""Stage 2: tidy tables -> one Territory (bureaux, results, IRIS, census, streets, doors)."""
