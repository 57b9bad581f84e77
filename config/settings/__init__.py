"""Settings entry points: `dev` (demo and local work, reads .env), `test` (the suite) and
`production` (real environment only). Pick one with DJANGO_SETTINGS_MODULE; this package itself
defines nothing so that importing `production` never runs the demo configuration."""
