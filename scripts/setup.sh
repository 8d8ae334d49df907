#!/usr/bin/env bash
# Installs the system parts of the study: Jupyter (nbconvert + nbclient + ipykernel), Chromium,
# oneDNN (libdnnl-dev) and a C++ toolchain from Debian, registers the tslab TypeScript kernel
# with Debian's /usr/bin/python3, and builds the oneDNN addon of the `onednn` backend
# (lib/backend/onednn, see docs/backends.md). Idempotent. As non-root it installs nothing and
# prints exactly what to run. A failed addon build is reported, not fatal: everything then
# runs on wasm.
# Options: --with-torch also installs python3-torch for `npm run bench -- --compare-torch`.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel chromium fonts-dejavu-core
  libdnnl-dev g++ make)
[[ " $* " == *" --with-torch "* ]] && pkgs+=(python3-torch)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: not root, so nothing was installed. Run:"
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
    echo "  npx tslab install --python=/usr/bin/python3"
    echo "  npm run setup   # again, to build the onednn addon once libdnnl-dev and g++ are there"
    exit 1
  fi
else
  echo "setup: Debian packages present (${pkgs[*]})"
fi

# tslab's kernel must run under Debian's python3, which has jupyter_client; the python3 on PATH may
# not. The kernelspec starts `tslab` from PATH: reproduce puts node_modules/.bin first; for
# Jupyter Lab run `PATH=$PWD/node_modules/.bin:$PATH jupyter lab` (or npm i -g tslab).
export PYDEVD_DISABLE_FILE_VALIDATION=1 # debugpy's frozen-modules warning on Debian's python 3.11
kernel_json=$(/usr/bin/python3 -c 'import jupyter_client.kernelspec as k
try: print(k.KernelSpecManager().get_kernel_spec("tslab").resource_dir + "/kernel.json")
except Exception: pass' 2>/dev/null || true)
if [[ -n "$kernel_json" && -f "$kernel_json" ]]; then
  echo "setup: tslab kernel already registered ($kernel_json)"
else
  user=()
  [[ $(id -u) -eq 0 ]] || user=(--user)
  npx --no-install tslab install --python=/usr/bin/python3 "${user[@]}" >/dev/null
  echo "setup: registered the tslab kernel"
fi

# The notebooks import lib/ through generated shims in notebooks/.lib (see tools/notebooks/bridge.ts).
npx --no-install tsx scripts/reproduce.ts --prepare | sed 's/^reproduce: /setup: /'

# The onednn backend's native addon. npm's own node-gyp builds it offline against the Node
# headers in /usr/include/node (Debian's nodejs ships them; elsewhere node-gyp may download them).
build_addon() {
  local gyp nodedir
  gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
  [[ -f $gyp ]] || gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
  if [[ ! -f $gyp ]]; then
    echo "setup: onednn addon not built: npm's node-gyp not found; the onednn backend is unavailable (wasm is used)"
    return 0
  fi
  nodedir=()
  [[ -f /usr/include/node/node_api.h ]] && nodedir=(--nodedir=/usr)
  if node "$gyp" rebuild "${nodedir[@]}" -C lib/backend/onednn >.tmp-onednn-build.log 2>&1; then
    echo "setup: built the onednn addon ($(npx --no-install tsx -e "const {loadOnednnAddon}=require('./lib/backend/onednn/addon');const a=loadOnednnAddon().addon;console.log(a?'oneDNN '+a.info().version+', '+a.probeConvImpl():'does not load')"))"
  else
    echo "setup: onednn addon build failed (last lines below; full log in .tmp-onednn-build.log); the onednn backend is unavailable, wasm is used"
    tail -n 5 .tmp-onednn-build.log | sed 's/^/  /'
  fi
}
build_addon
