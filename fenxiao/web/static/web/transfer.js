/* The withdrawal page's WeChat merchant transfer: the distributor taps 确认收款, the page fetches the
bill's confirmation parameters, hands them to WeChat (WeixinJSBridge "requestMerchantTransfer") and
then polls the withdrawal until its result is known. Outside WeChat the bridge does not exist and
the page says so. */
(function () {
  "use strict";

  var box = document.getElementById("transfer");
  if (!box) return;
  var button = document.getElementById("transfer-confirm");
  var message = document.getElementById("transfer-message");
  var stateLabel = document.getElementById("transfer-state");
  var POLL_MS = 2000;
  var POLL_LIMIT = 30;

  function say(key) {
    message.textContent = box.getAttribute("data-msg-" + key) || "";
  }

  function poll(left) {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && (data.final || (!button && data.awaiting_user))) {
          window.location.reload();
          return;
        }
        if (data && stateLabel && data.state) stateLabel.setAttribute("data-state", data.state);
        if (left > 0) {
          setTimeout(function () { poll(left - 1); }, POLL_MS);
        } else {
          say("slow");
        }
      })
      .catch(function () {
        if (left > 0) setTimeout(function () { poll(left - 1); }, POLL_MS);
      });
  }

  function withBridge(callback) {
    if (typeof window.WeixinJSBridge !== "undefined" && window.WeixinJSBridge.invoke) {
      callback(window.WeixinJSBridge);
    } else if (/MicroMessenger/i.test(navigator.userAgent)) {
      document.addEventListener("WeixinJSBridgeReady", function () { callback(window.WeixinJSBridge); }, { once: true });
    } else {
      say("outside");
      if (button) button.disabled = false;
    }
  }

  function confirmReceipt() {
    button.disabled = true;
    message.textContent = "";
    fetch(box.getAttribute("data-confirm-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": box.getAttribute("data-csrf"), Accept: "application/json" }
    })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        if (!result.ok) {
          message.textContent = (result.data && result.data.message) || box.getAttribute("data-msg-failed");
          button.disabled = false;
          return;
        }
        if (result.data.devSheetUrl) {
          // The demo's transfer provider: its own page stands in for WeChat's confirmation sheet.
          window.location.href = result.data.devSheetUrl;
          return;
        }
        withBridge(function (bridge) {
          bridge.invoke("requestMerchantTransfer", result.data, function (res) {
            var outcome = (res && res.err_msg) || "";
            if (/:ok$/.test(outcome)) {
              say("waiting");
              poll(POLL_LIMIT);
            } else if (/:cancel$/.test(outcome)) {
              say("cancelled");
              button.disabled = false;
            } else {
              say("failed");
              button.disabled = false;
            }
          });
        });
      })
      .catch(function () {
        say("failed");
        button.disabled = false;
      });
  }

  if (button) button.addEventListener("click", confirmReceipt);
  // A bill being paid (no confirmation needed now): follow it until it is done.
  if (!button) poll(POLL_LIMIT);
})();
