"""Force websites: each force's pages and the national content they share, edited in Wagtail."""
