// The code cards: a live clock (a screenshot shows when it was taken), the countdown to expiry,
// and a fresh code fetched before the shown one expires. Times are measured from when the page
// received each code, so a server clock that differs from the phone's does not matter.
import { api } from "../js/api.js";
import { drawCode, drawCodes } from "./qr.js";

const REFRESH_BEFORE_MS = 30_000;
const RETRY_MS = 10_000;
const MIN_WAIT_MS = 5_000;
const CHANGED = "hc-colour-changed";
// A live region reads out what changes in it, not what it held when the page was read: the
// colours are written into it a moment after load.
const ANNOUNCE_AFTER_MS = 500;

function text(lang, zh, en) {
  return lang === "en" ? en : zh;
}

function clockText(now) {
  return now.toLocaleString("zh-CN", {
    timeZone: "Asia/Shanghai", hour12: false, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
}

function lifetime(card) {
  const issued = Date.parse(card.dataset.issuedAt);
  const expires = Date.parse(card.dataset.expiresAt);
  return Number.isFinite(issued) && Number.isFinite(expires) ? expires - issued : NaN;
}

class LiveCard {
  constructor(card, lang) {
    this.card = card;
    this.lang = lang;
    this.receivedAt = Date.now();
    this.lifetimeMs = lifetime(card);
    this.timer = null;
    this.schedule();
  }

  remainingMs() {
    return this.lifetimeMs - (Date.now() - this.receivedAt);
  }

  tick() {
    const countdown = this.card.querySelector("[data-countdown]");
    if (!countdown || !Number.isFinite(this.lifetimeMs)) return;
    const left = Math.max(0, Math.round(this.remainingMs() / 1000));
    const minutes = Math.floor(left / 60);
    const seconds = String(left % 60).padStart(2, "0");
    countdown.textContent = text(this.lang, `（剩余 ${minutes}:${seconds}）`, `(${minutes}:${seconds} left)`);
    this.card.querySelector(".qr-expired")?.toggleAttribute("hidden", left > 0);
  }

  schedule(wait) {
    if (!Number.isFinite(this.lifetimeMs)) return;
    const due = wait ?? Math.max(MIN_WAIT_MS, this.remainingMs() - REFRESH_BEFORE_MS);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), due);
  }

  async refresh() {
    const status = this.card.querySelector(".card-status");
    try {
      const code = await api("GET", `/api/v1/codes/${encodeURIComponent(this.card.dataset.personId)}`);
      if (code.colour !== this.card.dataset.colour) {
        // The reasons and the measure changed too: draw everything anew, and say so once drawn.
        sessionStorage.setItem(CHANGED, "1");
        location.reload();
        return;
      }
      this.show(code);
      status.hidden = true;
    } catch (error) {
      status.textContent = text(this.lang, "二维码刷新失败，正在重试…", "Could not refresh the QR code; retrying…");
      status.className = "card-status message error";
      status.hidden = false;
      this.schedule(RETRY_MS);
    }
  }

  show(code) {
    const image = this.card.querySelector(".qr-image");
    if (image.dataset.token !== code.token) drawCode(image, code.token); // a refresh may reuse it
    this.card.dataset.issuedAt = code.issued_at;
    this.card.dataset.expiresAt = code.expires_at;
    const expires = this.card.querySelector("[data-expires]");
    if (expires) expires.textContent = code.expires_at.slice(11, 19);
    this.receivedAt = Date.now();
    this.lifetimeMs = lifetime(this.card);
    this.tick();
    this.schedule();
  }
}

async function unbind(button) {
  if (!window.confirm(button.dataset.confirm)) return;
  try {
    await api("DELETE", `/api/v1/me/people/${encodeURIComponent(button.dataset.unbind)}`);
    location.reload();
  } catch (error) {
    window.alert(error.message);
  }
}

// The bound person ends another account's binding of them (D2).
async function endBinding(button) {
  if (!window.confirm(button.dataset.confirm)) return;
  try {
    await api("DELETE", `/api/v1/me/bound-by/${encodeURIComponent(button.dataset.endBinding)}`);
    location.reload();
  } catch (error) {
    window.alert(error.message);
  }
}

// Each person's colour, read out by screen readers on load and after a change (A1, S3).
function announceColours(lang) {
  const region = document.getElementById("colour-announcer");
  if (!region) return;
  const said = [...document.querySelectorAll(".code-card[data-announce]")].map((card) => card.dataset.announce);
  const changed = sessionStorage.getItem(CHANGED);
  sessionStorage.removeItem(CHANGED);
  const prefix = changed ? text(lang, "健康码颜色已变化。", "A code's colour has changed. ") : "";
  setTimeout(() => { region.textContent = prefix + said.join(text(lang, "；", "; ")); }, ANNOUNCE_AFTER_MS);
}

export function liveCodes({ lang }) {
  drawCodes();
  announceColours(lang);
  const cards = [...document.querySelectorAll(".code-card[data-expires-at]")]
    .filter((card) => card.dataset.expiresAt)
    .map((card) => new LiveCard(card, lang));
  const clocks = document.querySelectorAll("[data-clock]");
  const everySecond = () => {
    const now = clockText(new Date());
    for (const clock of clocks) clock.textContent = now;
    for (const card of cards) card.tick();
  };
  everySecond();
  setInterval(everySecond, 1000);
  for (const button of document.querySelectorAll("[data-unbind]")) {
    button.addEventListener("click", () => unbind(button));
  }
  for (const button of document.querySelectorAll("[data-end-binding]")) {
    button.addEventListener("click", () => endBinding(button));
  }
  // Back on the page (the phone unlocked, the tab shown again): the colour is checked at once.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") for (const card of cards) card.refresh();
  });
  document.getElementById("sign-out")?.addEventListener("click", async () => {
    await api("POST", "/api/v1/auth/sign-out").catch(() => null);
    location.assign("/sign-in");
  });
}
