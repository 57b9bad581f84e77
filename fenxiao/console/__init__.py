"""The operator console: the admin site, its home with to-dos and live figures, background jobs with
progress, and the console's import and export pages. It sits beside the phone pages, above every domain
app, and writes only through the apps' services."""
