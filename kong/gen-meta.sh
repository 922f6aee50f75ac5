#!/usr/bin/env sh
# Writes kong/ai_proxy.meta.json, the file Kong reads next to ai_proxy.wasm, from the config's
# JSON Schema (filter-config/ai_proxy.schema.json, draft 4). With it, Kong validates filter
# configs written as JSON objects; without it, Kong accepts only string configs.
#
#   kong/gen-meta.sh [schema.json]
#
# tests/deploy_configs.rs fails when the two files drift apart: run this script after
# changing the schema.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
schema=${1:-"$here/../filter-config/ai_proxy.schema.json"}
out="$here/ai_proxy.meta.json"
python3 - "$schema" "$out" <<'PY'
import json, sys
schema_path, out_path = sys.argv[1], sys.argv[2]
with open(schema_path) as f:
    schema = json.load(f)
with open(out_path, "w") as f:
    json.dump({"config_schema": schema}, f, indent=2, ensure_ascii=False)
    f.write("\n")
print(f"wrote {out_path}")
PY
