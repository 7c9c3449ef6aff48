#!/usr/bin/env bash
# One-time (idempotent) set-up of a fresh Debian machine for sfxgen.
#   scripts/setup.sh runtime   -> engine, CLI, panel, OSC bridge (no torch)
#   scripts/setup.sh dev       -> everything: + torch (CPU), exporters, training, tests
# Creates ./.venv; re-running is a no-op unless pyproject.toml, requirements.lock or this file changed.
set -euo pipefail
profile="${1:-runtime}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

apt_pkgs=(libportaudio2 libegl1 libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3)
if [ "$profile" = dev ]; then
  apt_pkgs+=(lua5.4 libfluidsynth3)
fi
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "sfxgen setup: installing Debian packages: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

py="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$py" -m venv .venv
stamp=".venv/.sfxgen-setup-$profile"
want="$(cat pyproject.toml requirements.lock scripts/setup.sh | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "sfxgen setup: installing Python packages ($profile) into .venv ..." >&2
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
ort=cpu
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then ort=gpu; fi
if [ "$profile" = dev ]; then
  # torch is pinned in the same command as everything else: a looser spec pulls a CUDA build (GBs).
  "${pip[@]}" -c requirements.lock torch==2.13.0 -e ".[$ort,panel,train,dev]"
else
  "${pip[@]}" -c requirements.lock -e ".[$ort,panel]"
fi
echo "$want" > "$stamp"
