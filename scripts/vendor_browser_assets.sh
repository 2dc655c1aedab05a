#!/usr/bin/env bash
# The checkpoint page reads QR codes with zxing-wasm, and the resident's phone draws its code with
# qrcode-generator (both pinned in package-lock.json). Their files are copied into the static
# folder the server serves, so the pages and the .wasm come from our own origin: a checkpoint must
# work without reaching any CDN, and the browser gets exactly the versions the lock names.
set -euo pipefail
cd "$(dirname "$0")/.."

source_dir=node_modules/zxing-wasm
target=src/healthcode/web/static/vendor/zxing

if ! command -v npm >/dev/null; then
    echo "vendor_browser_assets: npm is missing; install Node.js 20 or later" >&2
    exit 1
fi

echo "vendor_browser_assets: npm ci (zxing-wasm, qrcode-generator, as pinned in package-lock.json)"
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
# The phone draws its own code from the token text (ADR 0019): the ES module, and its licence,
# which the package states in the file's header and package.json (it ships no LICENSE file).
qr_source=node_modules/qrcode-generator
qr_target=src/healthcode/web/static/vendor/qrcode-generator
rm -rf "$qr_target"
mkdir -p "$qr_target"
cp "$qr_source/dist/qrcode.mjs" "$qr_target/qrcode.mjs"
cp "$qr_source/package.json" "$qr_target/package.json"
qr_version=$(node -p 'require("./node_modules/qrcode-generator/package.json").version')
echo "qrcode-generator $qr_version (MIT, Copyright (c) 2009 Kazuhiko Arase)" > "$qr_target/VERSION"

# The Makefile's stamp: written last, so an interrupted copy is redone by the next `make install`.
touch "$target/.vendored"
echo "vendor_browser_assets: copied zxing-wasm $version and qrcode-generator $qr_version"
