"""Console area: shipping."""
