#!/usr/bin/env bash
# Run a local network written by `depind testnet --validators N --output-dir DIR`.
#
#   scripts/localnet.sh start DIR    start every DIR/nodeI that is not running, in the background
#   scripts/localnet.sh stop DIR     stop them: SIGINT, then SIGTERM and SIGKILL after a grace period
#   scripts/localnet.sh status DIR   each node's pid and latest block height (JSON-RPC `status`, curl)
#
# Each node keeps its pid in DIR/nodeI/node.pid and its log in DIR/nodeI/node.log. A pid file
# counts only while its process is a `depind start --home DIR/nodeI`: a stale one is ignored.
# DEPIND names the command to run (default: the repo's .venv/bin/depind, else depind on PATH);
# STOP_GRACE_S bounds the wait for a clean stop (default 10).
set -euo pipefail

usage() {
    echo "usage: $0 start|stop|status DIR" >&2
    exit 2
}

[[ $# -eq 2 && $1 =~ ^(start|stop|status)$ ]] || usage
action=$1
[[ -d $2 ]] || { echo "error: $2 is not a folder" >&2; exit 1; }
dir=$(cd "$2" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -z ${DEPIND:-} ]]; then
    if [[ -x $repo/.venv/bin/depind ]]; then DEPIND=$repo/.venv/bin/depind; else DEPIND=depind; fi
fi
read -r -a depind_cmd <<<"$DEPIND"
STOP_GRACE_S=${STOP_GRACE_S:-10}

homes=()
for ((i = 0; ; i++)); do
    [[ -f $dir/node$i/config/config.toml ]] || break
    homes+=("$dir/node$i")
done
((${#homes[@]} > 0)) || { echo "error: no node homes (node0, node1, ...) in $dir" >&2; exit 1; }

# The pid of the node's depind process, or failure if it is not running.
running_pid() {
    local home=$1 pid args
    [[ -f $home/node.pid ]] || return 1
    pid=$(<"$home/node.pid")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    args=$(ps -ww -p "$pid" -o args= 2>/dev/null) || return 1
    [[ $args == *" start --home $home" ]] || return 1 # the pid may belong to another process by now
    echo "$pid"
}

# Wait up to $2 seconds for process $1 to exit.
wait_exit() {
    local pid=$1 deadline=$((SECONDS + $2))
    while kill -0 "$pid" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

start() {
    local home pid started=()
    set -m # background jobs get their own process group, so SIGINT reaches them
    for home in "${homes[@]}"; do
        if pid=$(running_pid "$home"); then
            echo "${home##*/}: already running (pid $pid)"
            continue
        fi
        nohup "${depind_cmd[@]}" start --home "$home" >>"$home/node.log" 2>&1 </dev/null &
        echo $! >"$home/node.pid"
        started+=("$home")
        echo "${home##*/}: started (pid $!), log $home/node.log"
    done
    sleep 2
    for home in "${started[@]}"; do
        running_pid "$home" >/dev/null || echo "${home##*/}: exited; see $home/node.log" >&2
    done
}

stop() {
    local home pid signal
    local -a names=() pids=()
    for home in "${homes[@]}"; do
        if pid=$(running_pid "$home"); then
            kill -INT "$pid" 2>/dev/null || true
            names+=("${home##*/}")
            pids+=("$pid")
        elif [[ -f $home/node.pid ]]; then
            echo "${home##*/}: not running (removed a stale pid file)"
        else
            echo "${home##*/}: not running"
        fi
        rm -f "$home/node.pid"
    done
    for i in "${!pids[@]}"; do
        for signal in TERM KILL; do
            wait_exit "${pids[$i]}" "$STOP_GRACE_S" && break
            echo "${names[$i]}: still running; sending SIG$signal" >&2
            kill "-$signal" "${pids[$i]}" 2>/dev/null || true
        done
        echo "${names[$i]}: stopped (pid ${pids[$i]})"
    done
}

rpc_laddr() {
    sed -n 's#^laddr *= *"\(tcp://\)\{0,1\}\(.*\)"$#\2#p' "$1/config/config.toml" | head -n 1
}

latest_height() {
    local reply
    command -v curl >/dev/null || return 1
    reply=$(curl -sS -m 2 -H 'content-type: application/json' \
        -d '{"jsonrpc":"2.0","id":1,"method":"status","params":{}}' "http://$1/" 2>/dev/null) || return 1
    sed -n 's/.*"latest_block_height": *"\([0-9]*\)".*/\1/p' <<<"$reply" | grep .
}

status() {
    local home pid laddr height
    printf '%-8s %-8s %-8s %s\n' NODE PID HEIGHT RPC
    for home in "${homes[@]}"; do
        pid=$(running_pid "$home") || pid=stopped
        laddr=$(rpc_laddr "$home")
        height=$(latest_height "$laddr") || height=-
        printf '%-8s %-8s %-8s %s\n' "${home##*/}" "$pid" "$height" "$laddr"
    done
}

"$action"
