// Warns a member of staff before they are signed out for doing nothing, and keeps the session
// alive while they are using the screen (a key press, a click, typing). The server decides;
// this only asks it how long is left (/session/status) and reports activity (/session/keep-alive).
const dialog = document.getElementById("session-timeout");

if (dialog && typeof dialog.showModal === "function") {
  const { statusUrl, keepAliveUrl, signInUrl, csrfToken } = dialog.dataset;
  const warningSeconds = Number(dialog.dataset.warningSeconds);
  const countdown = dialog.querySelector(".bl-timeout-dialog__countdown");
  let deadline = Date.now() + 60 * 60 * 1000;
  let active = false;

  const remember = (body) => {
    if (!body.signed_in) window.location.assign(`${signInUrl}?next=${encodeURIComponent(window.location.pathname)}`);
    deadline = Date.now() + body.seconds_left * 1000;
  };
  const ask = (url, method) =>
    fetch(url, { method, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken } })
      .then((response) => response.json())
      .then(remember)
      .catch(() => {}); // offline for a moment: try again on the next tick

  const describe = (seconds) =>
    seconds >= 60 ? `${Math.ceil(seconds / 60)} minute${seconds > 60 ? "s" : ""}` : `${seconds} seconds`;

  for (const event of ["keydown", "pointerdown", "input"]) {
    document.addEventListener(event, () => { if (!dialog.open) active = true; }, { passive: true });
  }
  dialog.querySelector("[data-action=stay]").addEventListener("click", () => {
    ask(keepAliveUrl, "POST").then(() => dialog.close());
  });

  ask(statusUrl, "GET");
  setInterval(() => {
    if (active) { active = false; ask(keepAliveUrl, "POST"); } else { ask(statusUrl, "GET"); }
  }, 60 * 1000);
  setInterval(() => {
    const seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    if (seconds === 0) { ask(statusUrl, "GET"); return; }
    if (seconds <= warningSeconds) {
      if (!dialog.open) dialog.showModal();
      if (seconds % 15 === 0 || seconds < 10) countdown.textContent = describe(seconds);
    } else if (dialog.open) {
      dialog.close();
    }
  }, 1000);
}
