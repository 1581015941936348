#!/usr/bin/env bash
# `make run`: serve the dashboard with gunicorn on http://127.0.0.1:8000 (PORT to change).
# With no Yandex Cloud credentials configured, or an OAuth token and no endpoints, start the bundled
# emulator (Compute and IAM) and point the dashboard at it (demo mode); see docs/credentials.md.
# Ctrl-C stops everything this started.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8000}

children=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

if ! "$PY" -c "import socket, sys; s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))" "$PORT" 2>/dev/null; then
  echo "Port $PORT is already in use: stop what uses it, or pick another, e.g. PORT=8080 make run" >&2
  exit 1
fi

# A secret key of this checkout's own, made once, so that the run is a production-like one.
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
  [ -s .secret_key ] || "$PY" -c "import secrets; print(secrets.token_urlsafe(50))" > .secret_key
  DJANGO_SECRET_KEY=$(cat .secret_key)
  export DJANGO_SECRET_KEY
fi
export DJANGO_DEBUG=${DJANGO_DEBUG:-0}
export DJANGO_ALLOWED_HOSTS=${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}

start_emulator() {
  emulator_port=$("$PY" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
  "$PY" -m imagedash.emulator --port "$emulator_port" --quiet &
  children+=($!)
  export YC_COMPUTE_ENDPOINT="http://127.0.0.1:$emulator_port"
  export YC_IAM_ENDPOINT="http://127.0.0.1:$emulator_port"
  export IMAGEDASH_DEMO=1
}

# An OAuth token in YC_TOKEN (not `t1.` with two dots, and YC_TOKEN_TYPE not iam).
token=${YC_TOKEN:-}
dots=${token//[^.]/}
oauth=0
if [ -n "$token" ] && [ "${YC_TOKEN_TYPE:-}" != iam ] \
  && { [ "${YC_TOKEN_TYPE:-}" = oauth ] || [[ $token != t1.* ]] || [ ${#dots} -ne 2 ]; }; then
  oauth=1
fi

if [ -z "${YC_TOKEN:-}${YC_SERVICE_ACCOUNT_KEY_FILE:-}${YC_USE_METADATA:-}" ]; then
  start_emulator
  export YC_TOKEN="t1.demo.emulator-accepts-any-token"
  mode="demo mode: no Yandex Cloud credentials configured, serving the bundled emulator's sample images"
elif [ "$oauth" = 1 ] && [ -z "${YC_IAM_ENDPOINT:-}${YC_COMPUTE_ENDPOINT:-}" ]; then
  # `YC_TOKEN=<oauth> make run`: the OAuth exchange against the emulator's IAM endpoint. To use
  # Yandex Cloud itself, set YC_IAM_ENDPOINT=https://iam.api.cloud.yandex.net.
  start_emulator
  mode="demo mode: YC_TOKEN is exchanged at the bundled emulator's IAM endpoint"
else
  mode="talking to ${YC_COMPUTE_ENDPOINT:-https://compute.api.cloud.yandex.net}"
fi

"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py collectstatic --noinput -v 0

# Every page needs a signed-in user. In demo mode: a demo user whose password is random per
# checkout (kept in the gitignored .demo_password), so that no published password ever works.
signin="Sign in with a user made by: .venv/bin/python manage.py createsuperuser"
if [ "${IMAGEDASH_DEMO:-0}" = 1 ]; then
  [ -s .demo_password ] || (umask 077 && "$PY" -c "import secrets; print(secrets.token_urlsafe(12))" > .demo_password)
  "$PY" manage.py ensure_demo_user --username demo --password-file .demo_password
  signin="Sign in as: demo / $(cat .demo_password)"
fi

cat <<MSG

  imagedash is at http://127.0.0.1:$PORT/  ($mode)

  $signin

  Ids to try:
    fd8tekibj7eld4eqtaed   Ubuntu 24.04 LTS, with labels
    fd85s1nlcavgdpc16hj3   Windows Server 2016
    fd8demo1creating0001   demo image: CREATING, turns READY after about 20 s
    fd8demo2deleting0001   demo image: DELETING, then gone
    fd8demo3error0000001   demo image: ERROR

  Ctrl-C stops it.

MSG

.venv/bin/gunicorn imagedash.wsgi:application --bind "127.0.0.1:$PORT" \
  --config gunicorn.conf.py --no-control-socket &
children+=($!)
wait "${children[-1]}"
