// openscf dashboard: partial page updates for forms marked the htmx way
// (hx-post="/url" hx-target="#id"). This is the project's own few lines, not htmx: only
// that subset is needed, and no third-party code is shipped. Without JavaScript the same
// forms post normally and the server answers with the whole page.
"use strict";
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("hx-post")) return;
  const target = document.querySelector(form.getAttribute("hx-target") || "");
  if (!target) return;
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  const label = button ? button.textContent : "";
  if (button) {
    button.setAttribute("aria-busy", "true");
    button.disabled = true;
    if (button.dataset.busyText) button.textContent = button.dataset.busyText;
  }
  try {
    const response = await fetch(form.getAttribute("hx-post"), {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "HX-Request": "true" },
    });
    const html = await response.text();
    if (response.ok) {
      target.innerHTML = html;  // server-rendered and autoescaped
    } else {
      target.textContent = "The server refused (" + response.status + "); reload the page and try again.";
    }
  } catch (err) {
    target.textContent = "The server could not be reached: " + err;
  } finally {
    if (button) {
      button.removeAttribute("aria-busy");
      button.disabled = false;
      button.textContent = label;
    }
  }
});

// Previews next to the forms that price a piece (data-preview="cash" for a funder's bid,
// "discount" for an anchor's early-payment offer): the same arithmetic as the domain
// (discount = face x rate x days / basis, rounded half-even to the minor unit; cash =
// face - discount - fees), in exact integers (BigInt), so what is previewed is what the
// offer will say. The server re-computes and decides; this only shows it before sending.
function toScaled(text, places) {
  // "4.25" -> 425n with places=2; null when not a plain non-negative decimal.
  const t = (text || "").trim().replace(/,/g, "");
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  const [whole, frac = ""] = t.split(".");
  if (frac.length > places) return null;
  return BigInt(whole + frac.padEnd(places, "0"));
}
function halfEven(num, den) {
  const q = num / den, r = num % den;
  if (2n * r > den || (2n * r === den && q % 2n === 1n)) return q + 1n;
  return q;
}
function formatMinor(minor, exponent, currency) {
  const neg = minor < 0n, s = (neg ? -minor : minor).toString().padStart(exponent + 1, "0");
  const whole = s.slice(0, s.length - exponent) || "0", frac = exponent ? "." + s.slice(-exponent) : "";
  return (neg ? "-" : "") + whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + frac + " " + currency;
}
function preview(form) {
  const out = form.querySelector("[data-preview-out]");
  if (!out) return;
  const d = form.dataset, exponent = Number(d.exponent), face = BigInt(d.face);
  const rate = toScaled(form.elements.annual_rate && form.elements.annual_rate.value, 6);
  const value = form.elements.value_date && form.elements.value_date.value;
  const fees = form.elements.fees ? (toScaled(form.elements.fees.value || "0", exponent)) : 0n;
  if (rate === null || !value || fees === null) {
    out.textContent = "Type a rate (e.g. 4.5) to see the figures.";
    return;
  }
  const days = Math.round((Date.parse(d.due) - Date.parse(value)) / 86400000);
  if (days <= 0) { out.textContent = "The value date must be before the due date."; return; }
  // rate is in % with 6 places: rate/100/10^6 per year
  const discount = halfEven(face * rate * BigInt(days), 100n * 1000000n * BigInt(d.basis));
  const pays = face - discount - fees;
  const fmt = (m) => formatMinor(m, exponent, d.currency);
  out.textContent = d.preview === "cash"
    ? "You would pay " + fmt(pays) + " on " + value + " (discount " + fmt(discount) + " for " + days + " days" + (fees ? ", fees " + fmt(fees) : "") + ") and receive " + fmt(face) + " at maturity."
    : "Discount " + fmt(discount) + " for " + days + " days: you pay " + fmt(pays) + " on " + value + " instead of " + fmt(face) + " on " + d.due + ".";
}
document.addEventListener("input", (event) => {
  const form = event.target && event.target.form;
  if (form && form.dataset.preview) preview(form);
});
document.querySelectorAll("form[data-preview]").forEach((form) => {
  if (form.elements.annual_rate && form.elements.annual_rate.value) preview(form);
});
