/* Copy buttons for share links and invite codes, fading of top messages, quantity steppers, the
payment countdown, confirmation of irreversible actions and one submission per form. */
(function () {
  "use strict";

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source) return;
    var label = button.textContent;
    copy(source.textContent.trim()).then(function () {
      button.textContent = button.getAttribute("data-copied") || label;
      setTimeout(function () { button.textContent = label; }, 1600);
    }, function () {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    });
  });

  function autohide() {
    document.querySelectorAll("[data-autohide]").forEach(function (node) {
      setTimeout(function () {
        node.classList.add("is-hidden");
        setTimeout(function () { node.remove(); }, 400);
      }, 3000);
    });
  }

  // Quantity steppers: − / + next to a number input, kept within 1 and the stock of the chosen SKU.
  function quantityLimit(input) {
    var limit = parseInt(input.getAttribute("max"), 10) || 999;
    var chosen = input.form && input.form.querySelector("input[type=radio][data-max]:checked");
    var stock = chosen ? parseInt(chosen.getAttribute("data-max"), 10) : 0;
    return stock > 0 ? Math.min(limit, stock) : limit;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-stepper] [data-step]");
    if (!button) return;
    var input = button.closest("[data-stepper]").querySelector("input");
    var value = (parseInt(input.value, 10) || 1) + parseInt(button.getAttribute("data-step"), 10);
    input.value = Math.max(1, Math.min(quantityLimit(input), value));
  });

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form) return;
    var input = form.querySelector("[data-stepper] input");
    if (!input) return;
    var value = parseInt(input.value, 10) || 1;
    input.value = Math.max(1, Math.min(quantityLimit(input), value));
  });

  // Irreversible actions ask first (data-confirm); forms marked data-once are sent only once, so a
  // double tap cannot submit an order twice. The clicked button still sends its name and value.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (!form.hasAttribute("data-once")) return;
    if (form.getAttribute("data-sent") === "true") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "true");
  });

  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) { form.removeAttribute("data-sent"); });
  });

  // The payment deadline: "剩余 {m} 分 {s} 秒", counted down each second from the server's figure.
  function countdowns() {
    document.querySelectorAll("[data-countdown]").forEach(function (node) {
      var deadline = Date.now() + (parseInt(node.getAttribute("data-countdown"), 10) || 0) * 1000;
      var template = node.getAttribute("data-template");
      if (!template) return;
      function tick() {
        var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
        if (left === 0) {
          node.textContent = node.getAttribute("data-done") || "";
          return;
        }
        var seconds = left % 60;
        node.textContent = template.replace("{m}", String(Math.floor(left / 60))).replace("{s}", (seconds < 10 ? "0" : "") + seconds);
        setTimeout(tick, 1000);
      }
      tick();
    });
  }

  function ready() {
    autohide();
    countdowns();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
