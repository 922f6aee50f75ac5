#!/bin/sh
# Creates .venv (at the workspace root) with the pinned SDKs for the SDK tests.
set -eu
cd "$(dirname "$0")/../.."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/sdk/requirements.txt
