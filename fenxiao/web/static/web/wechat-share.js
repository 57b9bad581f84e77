/* The page's WeChat share card: reads the signed wx.config and the card from the JSON block
#wx-share (written by the server only inside WeChat's browser) and hands them to the JS-SDK, which
is loaded before this file. */
(function () {
  "use strict";

  function start() {
    var node = document.getElementById("wx-share");
    var wx = window.wx;
    if (!node || !wx || typeof wx.config !== "function") return;
    var share;
    try { share = JSON.parse(node.textContent); } catch (e) { return; }
    var config = share.config;
    wx.config({
      debug: false,
      appId: config.appId,
      timestamp: config.timestamp,
      nonceStr: config.nonceStr,
      signature: config.signature,
      jsApiList: config.jsApiList
    });
    wx.ready(function () {
      wx.updateAppMessageShareData({
        title: share.chat.title,
        desc: share.chat.desc,
        link: share.chat.link,
        imgUrl: share.chat.imgUrl
      });
      wx.updateTimelineShareData({
        title: share.moments.title,
        link: share.moments.link,
        imgUrl: share.moments.imgUrl
      });
    });
    wx.error(function (result) {
      if (window.console) window.console.warn("wx.config refused:", result && result.errMsg);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
