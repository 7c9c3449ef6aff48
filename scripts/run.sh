#!/usr/bin/env bash
# README command 1: set up the runtime on a fresh machine, then run sfxgen with the bundled default model.
#   bash scripts/run.sh generate "dog barking" -n 4 --out out/
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh runtime
exec .venv/bin/sfxgen "$@"
