// Progressive enhancement only: every form also works as a plain POST without JavaScript.
document.addEventListener("htmx:responseError", (event) => {
  // Show server-side errors of htmx requests instead of failing silently.
  const status = event.detail.xhr.status;
  console.warn("request failed", status, event.detail.pathInfo.requestPath);
});
