# Read by gunicorn when started from the project directory (`make run`, `make bench`); options on
# the command line win. Threads mostly wait on Yandex Cloud, so there are plenty of them: a few
# slow upstream calls must not starve the other pages.
workers = 2
threads = 16
worker_class = "gthread"
# Well above IMAGEDASH_DEADLINE_S (8 s): no upstream call outlives its worker's patience.
timeout = 30
keepalive = 5
