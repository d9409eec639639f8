// The web chat: one WebSocket to /chat/ws; replies arrive as a tree of allowed elements and are built as
// DOM nodes (text as text nodes, never parsed as HTML), so nothing a user or the catalogue wrote can run.
(function () {
  "use strict";
  var body = document.body;
  var log = document.getElementById("log");
  var form = document.getElementById("ask");
  var input = document.getElementById("text");
  var status = document.getElementById("status");
  var restartButton = document.getElementById("restart");
  var mode = body.getAttribute("data-mode");
  var kiosk = mode === "kiosk";
  var idleSeconds = parseInt(body.getAttribute("data-kiosk-idle"), 10) || 120;
  var greeting = log.firstElementChild.cloneNode(true);
  var ALLOWED = { b: true, i: true, code: true, pre: true, a: true };
  var SAFE_HREF = /^https?:\/\//i;
  var SAFE_IMAGE = /^data:image\/(png|jpeg);base64,[A-Za-z0-9+\/=]+$/;
  var socket = null;
  var retries = 0;
  var idleTimer = null;

  function build(nodes, parent) {
    (nodes || []).forEach(function (node) {
      if (typeof node === "string") {
        parent.appendChild(document.createTextNode(node));
        return;
      }
      if (!node || typeof node !== "object" || !ALLOWED[node.t]) {
        return;
      }
      var element = document.createElement(node.t);
      if (node.t === "a") {
        if (typeof node.href !== "string" || !SAFE_HREF.test(node.href)) {
          build(node.c, parent);
          return;
        }
        element.href = node.href;
        element.target = "_blank";
        element.rel = "noopener noreferrer";
      }
      build(node.c, element);
      parent.appendChild(element);
    });
  }

  function add(kind, fill) {
    var item = document.createElement("li");
    item.className = "msg " + kind;
    var bubble = document.createElement("div");
    bubble.className = "bubble";
    fill(bubble);
    item.appendChild(bubble);
    log.appendChild(item);
    // A long answer is read from its top; the visitor's own line just needs to be in view.
    item.scrollIntoView({ block: kind === "me" ? "end" : "start" });
    return item;
  }

  function showReply(frame) {
    add("bot", function (bubble) {
      if (typeof frame.image === "string" && SAFE_IMAGE.test(frame.image)) {
        var image = document.createElement("img");
        image.src = frame.image;
        image.alt = "";
        bubble.appendChild(image);
      }
      build(frame.text, bubble);
      var buttons = Array.isArray(frame.buttons) ? frame.buttons : [];
      if (buttons.length) {
        var row = document.createElement("div");
        row.className = "choices";
        buttons.forEach(function (choice) {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "choice";
          button.textContent = String(choice.label);
          button.addEventListener("click", function () {
            press(String(choice.label), String(choice.payload));
          });
          row.appendChild(button);
        });
        bubble.appendChild(row);
      }
    });
  }

  function busy(on) {
    log.setAttribute("aria-busy", on ? "true" : "false");
    body.classList.toggle("busy", on);
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var query = mode === "embed" ? "?embed=1" : "";
    socket = new WebSocket(scheme + location.host + "/chat/ws" + query);
    status.textContent = body.getAttribute("data-connecting");
    socket.onopen = function () {
      retries = 0;
      status.textContent = "";
      body.classList.add("online");
    };
    socket.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (frame.type === "reply") {
        showReply(frame);
      } else if (frame.type === "error") {
        add("bot error", function (bubble) {
          bubble.textContent = String(frame.text);
        });
      } else if (frame.type === "done") {
        busy(false);
      }
    };
    socket.onclose = function () {
      body.classList.remove("online");
      status.textContent = body.getAttribute("data-offline");
      busy(false);
      retries = Math.min(retries + 1, 5);
      setTimeout(connect, 250 * Math.pow(2, retries));
    };
  }

  function sendFrame(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      status.textContent = body.getAttribute("data-offline");
      return false;
    }
    socket.send(JSON.stringify(frame));
    busy(true);
    touch();
    return true;
  }

  function press(label, payload) {
    if (sendFrame({ type: "button", payload: payload })) {
      add("me", function (bubble) {
        bubble.textContent = label;
      });
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (text && sendFrame({ type: "text", text: text })) {
      add("me", function (bubble) {
        bubble.textContent = text;
      });
      input.value = "";
    }
  });

  // The kiosk forgets the last visitor: a new session and a clean screen after a while without use.
  function touch() {
    if (!kiosk) {
      return;
    }
    clearTimeout(idleTimer);
    idleTimer = setTimeout(restart, idleSeconds * 1000);
  }

  // The screen is cleared and the old session's socket closed at once; a new socket opens only once the
  // server has given a new session, so the next resident never carries on the last one's conversation.
  function restart() {
    clearTimeout(idleTimer);
    while (log.firstChild) {
      log.removeChild(log.firstChild);
    }
    log.appendChild(greeting.cloneNode(true));
    input.value = "";
    if (socket) {
      socket.onclose = null;
      socket.close();
      socket = null;
    }
    fetch("/chat/session", { method: "POST", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("no new session");
        }
        add("bot notice", function (bubble) {
          bubble.textContent = body.getAttribute("data-kiosk-reset");
        });
        connect();
      })
      .catch(function () {
        idleTimer = setTimeout(restart, 5000);
      });
  }

  if (kiosk) {
    ["keydown", "pointerdown"].forEach(function (name) {
      document.addEventListener(name, touch);
    });
    if (restartButton) {
      restartButton.addEventListener("click", restart);
    }
  }
  connect();
})();
