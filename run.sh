#!/usr/bin/env bash
# FlagKit's main job, end to end on this machine:
#   1. the flag server with its embedded SQLite store (./data/flagkit.db), on 127.0.0.1:5080;
#   2. a sample service (samples/FlagService: DI + appsettings.json) following it over the gRPC stream;
#   3. ops ramping and killing a flag with the `flagkit` CLI (packed and installed from ./artifacts/feed by
#      eng/pack.sh, as a user would), and the service reacting, with no restart;
#   4. a guarded release of the same flag whose new variant fails more payments: the service records each payment's
#      outcome with the SDK (UseFlagOutcomes), and the server rolls the canary back by itself (~30 s).
# Everything it starts is stopped when it ends. Re-running keeps ./data (delete it to start afresh).
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

# Demo keys (bootstrap keys are ensured at every start; use your own outside a demo).
admin_key=${FLAGKIT_DEMO_ADMIN_KEY:-fk_admin_demo_0000000000000000000000}
sdk_key=${FLAGKIT_DEMO_SDK_KEY:-fk_sdk_demo_production_00000000000000}
server_url=http://127.0.0.1:5080
console_url=http://127.0.0.1:5081/console
service_url=http://127.0.0.1:5090

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Building the server and the sample service (Release)"
for p in src/FlagKit.Server samples/FlagService; do
  dotnet build "$p" -c Release -nologo -v quiet -clp:ErrorsOnly
done

say "Packing every FlagKit package into ./artifacts/feed and installing flagkit from it (eng/pack.sh)"
eng/pack.sh artifacts/feed --tool-path artifacts/tools

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_http() { # url, what, [curl options]
  for _ in $(seq 1 300); do
    if curl -fsS "${@:3}" "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "$2 did not come up at $1; see its log above" >&2
  exit 1
}

say "Starting the flag server on $server_url (store: ./data/flagkit.db)"
mkdir -p data
dotnet src/FlagKit.Server/bin/Release/net10.0/FlagKit.Server.dll \
  --FlagKit:Server:BootstrapAdminKey="$admin_key" \
  --FlagKit:Server:HttpPort=5081 \
  --FlagKit:Server:BootstrapSdkKeys:production="$sdk_key" > data/server.log 2>&1 &
pids+=($!)
# The gRPC port speaks cleartext HTTP/2 only (h2c), so the probe needs prior knowledge.
wait_http "$server_url/healthz" "the flag server" --http2-prior-knowledge
echo "server is healthy (log: data/server.log)"
echo "web console: $console_url (sign in with the demo admin key from FLAGKIT_DEMO_ADMIN_KEY / this script)"

# The `flagkit` tool as a user installs it: from the local feed, into ./artifacts/tools.
flagkit() { FLAGKIT_URL=$server_url FLAGKIT_KEY=$admin_key FLAGKIT_ENV=production "$root/artifacts/tools/flagkit" "$@"; }

say "Ops: apply the flags file (config as code), 5 % canary of checkout-v2"
flagkit diff samples/demo-flags.json || true
flagkit apply samples/demo-flags.json

say "Starting the sample service on $service_url (SDK key for 'production')"
# Checkout__*PaymentFailureRate: the demo bug of checkout v2 (its payments fail 10 %, v1's 1 %), for the guarded release below.
(cd samples/FlagService/bin/Release/net10.0 && FlagKit__ApiKey="$sdk_key" FlagKit__ServerUrl="$server_url" \
  Checkout__V1PaymentFailureRate=0.01 Checkout__V2PaymentFailureRate=0.10 exec dotnet FlagService.dll) \
  > data/service.log 2>&1 &
pids+=($!)
wait_http "$service_url/healthz" "the sample service"

checkout() {
  local v2=0
  for a in $(seq 1 200); do
    if curl -fsS "$service_url/checkout?account=$a" | grep -q '"checkout":"v2"'; then v2=$((v2 + 1)); fi
  done
  echo "  service: $v2 of 200 accounts get checkout v2; account 42 -> $(curl -fsS "$service_url/checkout?account=42")"
}
checkout

for pct in 25 50 100; do
  say "Ops: flagkit rollout checkout-v2 $pct --wait"
  flagkit rollout checkout-v2 "$pct" --wait --timeout 10s -m "ramp to $pct %"
  checkout
done

say "Ops: flagkit kill checkout-v2 --wait (the kill switch wins over everything)"
flagkit kill checkout-v2 --wait --timeout 10s -m "demo: incident drill"
checkout

say "Ops: who applied it, and what happened"
flagkit status
flagkit history checkout-v2 --limit 6

say "Guarded release: checkout-v2 again, but v2's payments fail more (10 % vs 1 %)"
flagkit unkill checkout-v2 -m "demo: drill over"
flagkit rollout checkout-v2 0 --wait --timeout 10s -m "back to v1 before the guarded release"
# Traffic: up to 100 payments a second (curl --rate) from many accounts; the service records each one's outcome against the variant it
# was served, and its SDK sends the figures to the server every 10 s on its sync stream.
curl -s -o /dev/null --rate 100/s "$service_url/pay?account=[1-1000000]" &
load=$!
pids+=($load)
echo "  load: up to 100 payments/s on $service_url/pay (curl pid $load)"
release_rc=0
flagkit release start checkout-v2 --steps 20,50,100 --hold 30s --interval 10s --min-sample 200 \
  --wait --timeout 90s -m "demo: checkout v2 with its payment bug" || release_rc=$?
kill "$load" 2>/dev/null || true
case $release_rc in
  10) echo "  flagkit exited 10: the release rolled back by itself" ;;
  *) echo "  flagkit exited $release_rc (expected 10, rolled back); see data/server.log" >&2; exit 1 ;;
esac
flagkit release status checkout-v2
say "Ops: flagkit history shows the release's own rollback write, with its figures"
flagkit history checkout-v2 --limit 3
checkout

say "The service logged every flip as it happened (data/service.log):"
grep -A1 "FlagChangeLogger" data/service.log | grep -v "^--" | tail -n 12 || true

say "Done. The server's data stays in ./data; run ./run.sh again, or 'dotnet run --project src/FlagKit.Server' on its own."
echo "The web console was at $console_url while this ran (docs/console.md)."
