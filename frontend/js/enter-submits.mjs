// Enter in a one-line field sends a form with its main button, as people expect, even when a
// secondary button comes first in the page (browsers use the first): the form names its main
// button's value in data-enter-action, and a field may name its own in data-enter-action (the
// address on "Take a call" finds the address). Without this script Enter uses the first button.
for (const form of document.querySelectorAll("form[data-enter-action]")) {
  form.addEventListener("keydown", (event) => {
    const field = event.target;
    if (event.key !== "Enter" || !(field instanceof HTMLInputElement) || event.isComposing) return;
    if (["submit", "button", "reset", "file"].includes(field.type)) return;
    const action = field.dataset.enterAction || form.dataset.enterAction;
    const button = form.querySelector(`button[type="submit"][name="action"][value="${action}"]`);
    if (!button) return;
    event.preventDefault();
    button.click();
  });
}
