"""Console area: jobs."""
