#!/usr/bin/env bash
# Browser assets from npm, exactly as package-lock.json pins them, copied where they are used, so
# every page and its .wasm come from our own origin (a checkpoint and the API explorer must work
# without reaching any CDN):
# - zxing-wasm: the checkpoint page's QR reader (static/vendor/zxing);
# - qrcode-generator: the resident's phone draws its own code from the token text, ADR 0019
#   (static/vendor/qrcode-generator);
# - swagger-ui-dist: the API explorer at /api/docs (static/vendor/swagger-ui);
# - axe-core: the accessibility checks of the browser tests (tests/e2e/vendor/axe-core; never
#   served).
set -euo pipefail
cd "$(dirname "$0")/.."

vendor=src/healthcode/web/static/vendor
test_vendor=tests/e2e/vendor

if ! command -v npm >/dev/null; then
    echo "vendor_browser_assets: npm is missing; install Node.js 20 or later" >&2
    exit 1
fi

# No install scripts: the packages are plain files (one dependency of swagger-ui-dist would
# otherwise try to send usage analytics).
echo "vendor_browser_assets: npm ci (as pinned in package-lock.json)"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error

version_of() {
    node -p "require('./node_modules/$1/package.json').version"
}

# The ES build of the reader only (not the writer, nor the 1.5 MB full build): the page never
# makes codes. Its two modules keep their relative layout because one imports the other.
rm -f "$vendor/.vendored"
zxing=$vendor/zxing
rm -rf "$zxing"
mkdir -p "$zxing/es/reader"
cp node_modules/zxing-wasm/dist/es/reader/index.js "$zxing/es/reader/index.js"
cp node_modules/zxing-wasm/dist/es/share.js "$zxing/es/share.js"
cp node_modules/zxing-wasm/dist/reader/zxing_reader.wasm "$zxing/zxing_reader.wasm"
cp node_modules/zxing-wasm/LICENSE "$zxing/LICENSE"
echo "zxing-wasm $(version_of zxing-wasm)" > "$zxing/VERSION"

# The ES module, and its licence, which the package states in the file's header and package.json
# (it ships no LICENSE file).
qrcode=$vendor/qrcode-generator
rm -rf "$qrcode"
mkdir -p "$qrcode"
cp node_modules/qrcode-generator/dist/qrcode.mjs node_modules/qrcode-generator/package.json "$qrcode/"
echo "qrcode-generator $(version_of qrcode-generator) (MIT, Copyright (c) 2009 Kazuhiko Arase)" > "$qrcode/VERSION"

# The bundle and its stylesheet; the page's own script starts it (static/js/api-docs.js).
swagger=$vendor/swagger-ui
rm -rf "$swagger"
mkdir -p "$swagger"
for file in swagger-ui-bundle.js swagger-ui.css favicon-32x32.png LICENSE NOTICE; do
    cp "node_modules/swagger-ui-dist/$file" "$swagger/$file"
done
echo "swagger-ui-dist $(version_of swagger-ui-dist)" > "$swagger/VERSION"

axe=$test_vendor/axe-core
rm -rf "$axe"
mkdir -p "$axe"
cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE "$axe/"
echo "axe-core $(version_of axe-core)" > "$axe/VERSION"

# The Makefile's stamp: written last, so an interrupted copy is redone by the next `make install`.
touch "$vendor/.vendored"
echo "vendor_browser_assets: zxing-wasm, qrcode-generator, swagger-ui-dist and axe-core copied"
