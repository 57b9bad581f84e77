/* WeChat Pay inside WeChat (JSAPI): hands the signed parameters the page carries (#wxpay-params, made
by the server) to WeixinJSBridge's getBrandWCPayRequest, then says what happened. The bridge's "ok" is
not proof of payment: the order becomes paid only when WeChat Pay's notification reaches the server,
which the polled status on the page shows. A cancelled or failed call leaves the order payable. */
(function () {
  "use strict";

  var source = document.getElementById("wxpay-params");
  if (!source) return;
  var params;
  try { params = JSON.parse(source.textContent); } catch (e) { return; }

  function show(state) {
    document.querySelectorAll("[data-bridge-state]").forEach(function (node) {
      node.hidden = node.getAttribute("data-bridge-state") !== state;
    });
    var again = document.getElementById("wxpay-again");
    if (again) again.hidden = state === "ok" || state === "waiting";
  }

  function pay() {
    show("waiting");
    window.WeixinJSBridge.invoke("getBrandWCPayRequest", params, function (result) {
      var message = (result && result.err_msg) || "";
      if (message === "get_brand_wcpay_request:ok") show("ok");
      else if (message === "get_brand_wcpay_request:cancel") show("cancel");
      else show("fail");
    });
  }

  if (typeof window.WeixinJSBridge !== "undefined" && window.WeixinJSBridge.invoke) {
    pay();
  } else {
    document.addEventListener("WeixinJSBridgeReady", pay, false);
    // Outside WeChat's browser the bridge never comes.
    setTimeout(function () {
      if (typeof window.WeixinJSBridge === "undefined") show("nobridge");
    }, 3000);
  }
})();
