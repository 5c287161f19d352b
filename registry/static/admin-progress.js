// Progress page: reload every 30 seconds while the page is visible (no inline script: strict CSP).
"use strict";
setInterval(function () {
  if (document.visibilityState === "visible") {
    window.location.reload();
  }
}, 30000);
