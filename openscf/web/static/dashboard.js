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
