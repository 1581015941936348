"""A small, standalone emulator of the Yandex Cloud Compute API's image endpoints.

It serves the real image records in `fixtures/images/` (see `fixtures/SOURCES.md`) with the real
error body shape, plus a few demo images whose status moves over time, so that the dashboard runs
with no Yandex Cloud account (`make run`) and the tests talk HTTP to something faithful.
"""
