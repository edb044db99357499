# Sourced by the runners in infra/run and infra/bench: a work folder removed on exit (kept with
# KEEP_WORK=1) with every process in `pids` stopped, free ports, waits, and a local S3 server.
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
runner=${0##*/}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_for() { # url [seconds]: until it answers 2xx
  local secs=${2:-30}
  for _ in $(seq 1 $(( secs * 10 ))); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$runner: $1 did not answer within $secs s" >&2; return 1
}

wait_port() { # port [seconds]: until something listens
  local secs=${2:-30}
  for _ in $(seq 1 $(( secs * 10 ))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$runner: nothing listening on port $1 after $secs s" >&2; return 1
}

start_s3() { # bucket key secret: s3s-fs over $work/s3 with that bucket (none: ""); exports the AWS environment
  s3_port=$(free_port)
  mkdir -p "$work/s3${1:+/$1}"
  export AWS_ACCESS_KEY_ID=$2 AWS_SECRET_ACCESS_KEY=$3 AWS_REGION=us-east-1
  export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$s3_port"
  s3s-fs --host 127.0.0.1 --port "$s3_port" --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" \
    "$work/s3" > "$work/s3.log" 2>&1 &
  s3_pid=$!
  pids+=("$s3_pid")
  wait_port "$s3_port" 30 || { tail -20 "$work/s3.log" >&2; return 1; }
}
