// Reading QR codes from a camera or an image with zxing-wasm, vendored into ../vendor/zxing by
// scripts/vendor_browser_assets.sh. The .wasm is fetched from beside the vendored module on our
// own server, never from the CDN the library would otherwise use: a checkpoint must keep working
// on a network that reaches only its server.

import { prepareZXingModule, readBarcodes } from "../vendor/zxing/es/reader/index.js";

const WASM_URL = new URL("../vendor/zxing/zxing_reader.wasm", import.meta.url).href;

prepareZXingModule({
  overrides: {
    locateFile: (path, prefix) => (path.endsWith(".wasm") ? WASM_URL : prefix + path),
  },
});

// A health code is a QR code and nothing else; one per frame is all a checkpoint looks for.
export const READER_OPTIONS = Object.freeze({
  formats: ["QRCode"],
  tryHarder: true,
  maxNumberOfSymbols: 1,
});
export const DEFAULT_INTERVAL_MS = 200;

// The text of the QR code shown by `source` (a <video>, <img>, <canvas> or ImageBitmap) now, or
// null when there is none (or no frame yet).
export async function decodeFrame(source, canvas = document.createElement("canvas")) {
  const frame = grab(source, canvas);
  if (frame === null) return null;
  const results = await readBarcodes(frame, READER_OPTIONS);
  const found = results.find((result) => result.isValid && result.text);
  return found ? found.text : null;
}

// Decodes a frame of `source` every `intervalMs` and calls `onCode(text)` once per distinct code:
// a code held in front of the camera is reported once, not five times a second. `reset()` lets
// the same code be reported again (say, after the operator has dealt with it); `stop()` ends it.
export function startScanner(source, onCode, { intervalMs = DEFAULT_INTERVAL_MS, onError } = {}) {
  const canvas = document.createElement("canvas");
  let last = null;
  let timer = null;
  let running = true;
  const tick = async () => {
    try {
      const text = await decodeFrame(source, canvas);
      if (running && text !== null && text !== last) {
        last = text;
        onCode(text);
      }
    } catch (error) {
      // A failing frame (or a missing .wasm) must not end the loop silently: the page says so.
      if (onError) onError(error);
    }
    // Scheduled after the decode, so a slow device never stacks decodes on top of each other.
    if (running) timer = setTimeout(tick, intervalMs);
  };
  timer = setTimeout(tick, 0);
  return {
    stop() {
      running = false;
      clearTimeout(timer);
    },
    reset() {
      last = null;
    },
  };
}

// The rear camera, shown in `video`; resolves to the stream (give it to stopCamera to release it).
export async function startCamera(video, constraints = { facingMode: "environment" }) {
  const stream = await navigator.mediaDevices.getUserMedia({ video: constraints, audio: false });
  video.srcObject = stream;
  video.muted = true;
  video.setAttribute("playsinline", "");
  await video.play();
  return stream;
}

export function stopCamera(video) {
  const stream = video.srcObject;
  if (stream) for (const track of stream.getTracks()) track.stop();
  video.srcObject = null;
}

function grab(source, canvas) {
  const [width, height] = dimensions(source);
  if (!width || !height) return null;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(source, 0, 0, width, height);
  return context.getImageData(0, 0, width, height);
}

function dimensions(source) {
  if (source instanceof HTMLVideoElement) {
    // Before the first frame arrives a video has no size to draw.
    return source.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA
      ? [source.videoWidth, source.videoHeight]
      : [0, 0];
  }
  if (source instanceof HTMLImageElement) {
    return source.complete ? [source.naturalWidth, source.naturalHeight] : [0, 0];
  }
  return [source.width, source.height];
}
