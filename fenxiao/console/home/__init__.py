"""Console area: home."""
