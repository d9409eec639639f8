// The web chat widget: <script src="{public_url}/widget.js"></script> on any site adds a button that
// opens this server's chat (/chat?embed=1) in an iframe. It runs in the host page: no globals, no styles
// beyond its own two elements.
(function (T) {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) {
    return;
  }
  var origin = new URL(script.src).origin;
  var frame = null;
  var open = false;
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = T.open;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("data-motcua-widget", "button");
  var look = button.style;
  look.position = "fixed";
  look.right = "16px";
  look.bottom = "16px";
  look.zIndex = "2147483000";
  look.padding = "12px 18px";
  look.border = "0";
  look.borderRadius = "24px";
  look.background = "#a51d24";
  look.color = "#fff";
  look.font = "600 16px/1.2 system-ui, sans-serif";
  look.boxShadow = "0 2px 8px rgba(0,0,0,.3)";
  look.cursor = "pointer";

  function toggle() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = origin + "/chat?embed=1";
      frame.title = T.title;
      frame.setAttribute("data-motcua-widget", "frame");
      var box = frame.style;
      box.position = "fixed";
      box.right = "16px";
      box.bottom = "72px";
      box.width = "min(380px, calc(100vw - 32px))";
      box.height = "min(600px, calc(100vh - 96px))";
      box.border = "0";
      box.borderRadius = "12px";
      box.boxShadow = "0 4px 16px rgba(0,0,0,.3)";
      box.background = "#fff";
      box.zIndex = "2147483000";
      document.body.appendChild(frame);
    }
    open = !open;
    frame.style.display = open ? "block" : "none";
    button.textContent = open ? T.close : T.open;
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function mount() {
    button.addEventListener("click", toggle);
    document.body.appendChild(button);
  }

  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
})(__WIDGET_TEXTS__);
