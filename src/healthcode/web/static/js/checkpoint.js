// The checkpoint page: read a code, verify it here (offline-capable), then ask the server for the
// venue's decision, which it makes again from the code (a page is never trusted).
import { hideVerdict, isForeign, showVerdict } from "../checkpoint/foreign.js";
import { ListTrust, TrustListError, verifyToken } from "../checkpoint/hz1.js";
import { decodeFrame, startCamera, startScanner, stopCamera } from "../checkpoint/scanner.js";
import { api } from "./api.js";

const english = document.documentElement.lang === "en";
const say = (text) => (text ? (english ? text.en : text.zh) : "");
const CACHE = "hc-trust-list";
const VENUE = "hc-checkpoint-venue";
const WORDS = {
  allow: { zh: "通行", en: "ALLOW" },
  deny: { zh: "禁止", en: "DENY" },
  not_checked: { zh: "免查验", en: "NOT CHECKED" },
  refused: { zh: "无法核验", en: "CANNOT VERIFY" },
  foreign_valid: { zh: "境外证书有效", en: "CERTIFICATE VALID" },
  foreign_invalid: { zh: "境外证书无效", en: "CERTIFICATE NOT VALID" },
  checking: { zh: "查验中…", en: "Checking…" },
  waiting: { zh: "请扫码", en: "Scan a code" },
};
const COLOURS = {
  green: { zh: "绿码", en: "GREEN CODE" },
  yellow: { zh: "黄码", en: "YELLOW CODE" },
  red: { zh: "红码", en: "RED CODE" },
};
// How long an answer stays for the person it is about: then the screen is blank for the next.
const SHOWN_FOR_MS = 20000;

const json = (id) => JSON.parse(document.getElementById(id).textContent);
const roots = json("trust-roots");
const homeIssuer = json("home-issuer");
const foreignLabels = json("foreign-labels");
const foreignSection = document.getElementById("foreign");
let trust = null;
let scanning = null;
let clearing = null;

function answer(decision, who, why, colour) {
  const box = document.getElementById("answer");
  box.dataset.decision = decision;
  box.dataset.colour = colour || "";
  document.getElementById("answer-word").textContent = say(WORDS[decision] || WORDS.refused);
  const shade = document.getElementById("answer-colour");
  shade.textContent = say(COLOURS[colour]);
  shade.hidden = !COLOURS[colour];
  document.getElementById("answer-who").textContent = who || "";
  document.getElementById("answer-why").textContent = why || "";
  clearTimeout(clearing);
  if (decision !== "waiting" && decision !== "checking") clearing = setTimeout(clear, SHOWN_FOR_MS);
}

// The previous person's answer never stays on screen: cleared for the next, by hand or in time.
function clear() {
  answer("waiting", "", "", "");
  hideVerdict(foreignSection);
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
  answer("checking", "", "", "");
  try {
    const result = await api("POST", path, body);
    answer(result.decision, result.masked_name || "", say(result.reason), result.colour);
  } catch (error) {
    answer("refused", "", error.message);
  }
}

async function checkForeign(text) {
  // The server judges it offline against its trust files; the venue's rules are not asked.
  try {
    const verdict = await api("POST", "/api/v1/foreign/verify", { text });
    const shown = verdict.facts.length ? verdict.facts[0].holder_name : "";
    answer(verdict.valid ? "foreign_valid" : "foreign_invalid", shown, "");
    showVerdict(foreignSection, verdict, foreignLabels);
  } catch (error) {
    answer("refused", "", error.message);
  }
}

async function onCode(text) {
  const venue = document.getElementById("venue").value;
  hideVerdict(foreignSection);
  answer("checking", "", "", "");
  if (isForeign(text)) {
    await checkForeign(text);
    if (scanning) setTimeout(() => scanning.reset(), 2500);
    return;
  }
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
  const input = event.target;
  const file = input.files[0];
  if (!file) return;
  // Emptied at once, so that the same picture chosen again (the next person's) is read again.
  input.value = "";
  answer("checking", "", "", "");
  const image = new Image();
  image.src = URL.createObjectURL(file);
  try {
    await image.decode();
    const text = await decodeFrame(image);
    if (text) await onCode(text);
    else answer("refused", "", english ? "No code found in the picture." : "图片中未找到二维码。");
  } catch (error) {
    answer("refused", "", english ? "The picture cannot be read." : "无法读取该图片。");
  } finally {
    URL.revokeObjectURL(image.src);
  }
});

// One button per credential, so each check is the number, the name and one press (S4).
const BY_DOCUMENT = {
  test: ["/api/v1/checkpoint/test", {}],
  registration: ["/api/v1/checkpoint/registration", {}],
  "itinerary-clear": ["/api/v1/checkpoint/itinerary", { shows_risk_area: false }],
  "itinerary-risk": ["/api/v1/checkpoint/itinerary", { shows_risk_area: true }],
};

document.getElementById("no-phone").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const [path, extra] = BY_DOCUMENT[event.submitter?.value] || BY_DOCUMENT.registration;
  await decideOnServer(path, {
    venue_id: document.getElementById("venue").value,
    id_type: form.id_type.value,
    id_number: form.id_number.value.trim(),
    name: document.getElementById("id-name").value.trim(),
    ...extra,
  });
  // Neither the number nor the name stays on a shared screen.
  form.id_number.value = "";
  document.getElementById("id-name").value = "";
});

document.getElementById("certificate").addEventListener("submit", async (event) => {
  event.preventDefault();
  const field = event.target.certificate;
  const text = field.value.trim();
  field.value = "";
  await onCode(text);
});

document.getElementById("next-person").addEventListener("click", clear);

// A device stays at its venue: the choice is remembered on it (no personal data).
const venues = document.getElementById("venue");
const remembered = localStorage.getItem(VENUE);
if (remembered && [...venues.options].some((option) => option.value === remembered)) {
  venues.value = remembered;
}
venues.addEventListener("change", () => {
  localStorage.setItem(VENUE, venues.value);
  clear();
});

// A shared device: signing out leaves no answer, no form and no session behind.
document.getElementById("sign-out").addEventListener("click", async () => {
  clear();
  document.getElementById("no-phone").reset();
  if (scanning) scanning.stop();
  stopCamera(document.getElementById("camera"));
  try {
    await api("POST", "/api/v1/auth/sign-out");
  } finally {
    location.assign("/console/sign-in?next=/checkpoint");
  }
});

await loadTrust();
