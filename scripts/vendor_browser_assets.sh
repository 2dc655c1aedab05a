#!/usr/bin/env bash
# The checkpoint page reads QR codes with zxing-wasm (pinned in package-lock.json). Its files are
# copied into the static folder the server serves, so the page and its .wasm come from our own
# origin: a checkpoint must work without reaching any CDN, and the browser gets exactly the
# version the lock names.
set -euo pipefail
cd "$(dirname "$0")/.."

source_dir=node_modules/zxing-wasm
target=src/healthcode/web/static/vendor/zxing

if ! command -v npm >/dev/null; then
    echo "vendor_browser_assets: npm is missing; install Node.js 20 or later" >&2
    exit 1
fi

echo "vendor_browser_assets: npm ci (zxing-wasm, as pinned in package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error

# The ES build of the reader only (not the writer, nor the 1.5 MB full build): the page never
# makes codes. Its two modules keep their relative layout because one imports the other.
rm -rf "$target"
mkdir -p "$target/es/reader"
cp "$source_dir/dist/es/reader/index.js" "$target/es/reader/index.js"
cp "$source_dir/dist/es/share.js" "$target/es/share.js"
cp "$source_dir/dist/reader/zxing_reader.wasm" "$target/zxing_reader.wasm"
cp "$source_dir/LICENSE" "$target/LICENSE"
version=$(node -p 'require("./node_modules/zxing-wasm/package.json").version')
echo "zxing-wasm $version" > "$target/VERSION"
# The Makefile's stamp: written last, so an interrupted copy is redone by the next `make install`.
touch "$target/.vendored"
echo "vendor_browser_assets: copied zxing-wasm $version into $target"
