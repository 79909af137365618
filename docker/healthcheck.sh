#!/usr/bin/env bash
# The images' HEALTHCHECK: GET http://127.0.0.1:$HEALTH_PORT$HEALTH_PATH over bash's /dev/tcp (the .NET runtime
# images have neither curl nor wget), healthy on a 200 within $HEALTH_TIMEOUT seconds. Exit 0 healthy, 1 not.
#   HEALTH_PORT   8080 (API) or 8081 (consumer), set by each image
#   HEALTH_PATH   /health/live: the process serves. Orchestrators that only restart on failure should not
#                 restart an API because its stream is down, which /health/ready would report.
set -u
port=${HEALTH_PORT:-8080}
path=${HEALTH_PATH:-/health/live}
timeout_s=${HEALTH_TIMEOUT:-3}

probe() {
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3 || return 1
  local version status
  read -r -t "$timeout_s" version status _ <&3 || return 1
  exec 3<&-
  [[ $version == HTTP/* && $status == 200 ]]
}

if probe 2>/dev/null; then
  exit 0
fi
echo "unhealthy: GET http://127.0.0.1:$port$path did not answer 200" >&2
exit 1
