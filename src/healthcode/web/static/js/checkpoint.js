// The checkpoint page: read a code, verify it here (offline-capable), then ask the server for the
// venue's decision, which it makes again from the code (a page is never trusted).
import { ListTrust, TrustListError, verifyToken } from "../checkpoint/hz1.js";
import { decodeFrame, startCamera, startScanner, stopCamera } from "../checkpoint/scanner.js";
import { api } from "./api.js";

const english = document.documentElement.lang === "en";
const say = (text) => (text ? (english ? text.en : text.zh) : "");
const CACHE = "hc-trust-list";
const WORDS = {
  allow: { zh: "通行", en: "ALLOW" },
  deny: { zh: "禁止", en: "DENY" },
  not_checked: { zh: "免查验", en: "NOT CHECKED" },
  refused: { zh: "无法核验", en: "CANNOT VERIFY" },
};

const json = (id) => JSON.parse(document.getElementById(id).textContent);
const roots = json("trust-roots");
const homeIssuer = json("home-issuer");
let trust = null;
let scanning = null;

function answer(decision, who, why) {
  const box = document.getElementById("answer");
  box.dataset.decision = decision;
  document.getElementById("answer-word").textContent = say(WORDS[decision] || WORDS.refused);
  document.getElementById("answer-who").textContent = who || "";
  document.getElementById("answer-why").textContent = why || "";
}

async function loadTrust() {
  // The newest list the server gives; if offline, the last one cached on this device.
  const status = document.getElementById("trust-status");
  let documents = [json("trust-list")];
  try {
    const response = await fetch("/.well-known/healthcode/trust-list", { credentials: "same-origin" });
    if (response.ok) documents = [await response.json()];
  } catch (error) {
    const cached = localStorage.getItem(CACHE);
    if (cached) documents = [JSON.parse(cached)];
  }
  try {
    trust = await ListTrust.fromDocuments(documents, roots, homeIssuer);
    localStorage.setItem(CACHE, JSON.stringify(documents[0]));
    status.textContent = english ? "Trust list verified." : "信任列表已验证。";
  } catch (error) {
    if (!(error instanceof TrustListError)) throw error;
    status.textContent = (english ? "Trust list not valid: " : "信任列表无效：") + error.message;
  }
}

async function decideOnServer(path, body) {
  try {
    const result = await api("POST", path, body);
    answer(result.decision, result.masked_name || "", say(result.reason));
  } catch (error) {
    answer("refused", "", error.message);
  }
}

async function onCode(text) {
  const venue = document.getElementById("venue").value;
  if (text.startsWith("HZC1:")) return decideOnServer("/api/v1/checkpoint/certificate", { venue_id: venue, certificate: text });
  const local = await verifyToken(text, trust, new Date());
  if (!local.ok) {
    answer("refused", "", say(local.refusal || local.message));
    return;
  }
  await decideOnServer("/api/v1/verify", { venue_id: venue, token: text });
  if (scanning) setTimeout(() => scanning.reset(), 2500);
}

document.getElementById("start-camera").addEventListener("click", async () => {
  const video = document.getElementById("camera");
  try {
    await startCamera(video);
    scanning = startScanner(video, onCode, { onError: (error) => answer("refused", "", error.message) });
  } catch (error) {
    answer("refused", "", (english ? "Camera unavailable: " : "摄像头不可用：") + error.message);
  }
});

document.getElementById("stop-camera").addEventListener("click", () => {
  if (scanning) scanning.stop();
  scanning = null;
  stopCamera(document.getElementById("camera"));
});

document.getElementById("picture").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  const image = new Image();
  image.src = URL.createObjectURL(file);
  await image.decode();
  const text = await decodeFrame(image);
  if (text) await onCode(text);
  else answer("refused", "", english ? "No code found in the picture." : "图片中未找到二维码。");
});

document.getElementById("no-phone").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  await decideOnServer(`/api/v1/checkpoint/${form.kind.value}`, {
    venue_id: document.getElementById("venue").value,
    id_type: form.id_type.value,
    id_number: form.id_number.value.trim(),
    name: document.getElementById("id-name").value.trim(),
  });
  // Neither the number nor the name stays on a shared screen.
  form.id_number.value = "";
  document.getElementById("id-name").value = "";
});

document.getElementById("certificate").addEventListener("submit", async (event) => {
  event.preventDefault();
  await onCode(event.target.certificate.value.trim());
});

await loadTrust();
