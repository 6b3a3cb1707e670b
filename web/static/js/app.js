// Progressive enhancement only: every form also works as a plain POST without JavaScript.
document.addEventListener("htmx:responseError", (event) => {
  // Show server-side errors of htmx requests instead of failing silently.
  const status = event.detail.xhr.status;
  console.warn("request failed", status, event.detail.pathInfo.requestPath);
});

// The top bar's drop-down menus are <details>: they open without JavaScript, but a menu
// should also close when the user clicks elsewhere or presses Escape.
(() => {
  const menus = () => document.querySelectorAll("details.nav-menu[open]");
  document.addEventListener("click", (event) => {
    for (const menu of menus()) if (!menu.contains(event.target)) menu.open = false;
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const menu of menus()) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
})();
