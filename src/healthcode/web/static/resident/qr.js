// The phone draws its own code from the token text (ADR 0019): the server signs, the device
// renders, so a refresh costs the server no image. Same symbol parameters as the server's PNG
// (tokens/qr.py): error correction Q, alphanumeric mode (Base45 is the QR alphanumeric set), a
// quiet zone of 4 modules; drawn 4 px a module and scaled up with crisp edges by the stylesheet.
import qrcode from "../vendor/qrcode-generator/qrcode.mjs";

const MODULE_PX = 4;
const QUIET_ZONE_MODULES = 4;

export function drawCode(image, token) {
  const symbol = qrcode(0, "Q");
  symbol.addData(token, "Alphanumeric");
  symbol.make();
  image.src = symbol.createDataURL(MODULE_PX, MODULE_PX * QUIET_ZONE_MODULES);
  image.dataset.token = token;
  image.dataset.drawn = "device";
}

export function drawCodes(root = document) {
  for (const image of root.querySelectorAll("img.qr-image[data-token]:not([src])")) {
    drawCode(image, image.dataset.token);
  }
}
