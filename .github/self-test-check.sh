#!/usr/bin/env bash
# The self-test's assertions on the action's outputs (TOKEN, EXPIRES_ON, TENANT in the environment).
set -euo pipefail
[ -n "$TOKEN" ] || { echo "::error::no token output"; exit 1; }
left=$(( $(date -d "$EXPIRES_ON" +%s) - $(date +%s) ))
[ "$left" -gt 300 ] || { echo "::error::expires-on ($EXPIRES_ON) is not in the future"; exit 1; }
[[ "$TENANT" =~ ^[0-9a-f-]{36}$ ]] || { echo "::error::tenant-id output '$TENANT' is not a GUID"; exit 1; }
echo "ok: a token for tenant $TENANT, valid for another $(( left / 60 )) min"
