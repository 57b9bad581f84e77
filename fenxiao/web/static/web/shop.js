/* Swipeable picture strips (home banners, product gallery): keep the dots or the "2 / 5" counter in
step with the picture in view; banners move on by themselves every few seconds until touched. */
(function () {
  "use strict";

  function currentIndex(track) {
    var width = track.clientWidth || 1;
    return Math.round(track.scrollLeft / width);
  }

  function setup(root) {
    var track = root.querySelector("[data-carousel-track]");
    if (!track) return;
    var slides = track.children.length;
    if (slides < 2) return;
    var dots = root.querySelectorAll(".app-dots__dot");
    var counter = root.querySelector("[data-carousel-count]");
    var shown = 0;

    function show(index) {
      shown = index;
      dots.forEach(function (dot, i) { dot.classList.toggle("app-dots__dot_on", i === index); });
      if (counter) counter.textContent = (index + 1) + " / " + slides;
    }

    var pending = null;
    track.addEventListener("scroll", function () {
      if (pending) cancelAnimationFrame(pending);
      pending = requestAnimationFrame(function () { show(currentIndex(track)); });
    }, { passive: true });

    if (!dots.length) return;  // only the banners turn by themselves
    var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (reduced) return;
    var timer = setInterval(function () {
      if (document.hidden) return;
      var next = (shown + 1) % slides;
      track.scrollTo({ left: next * track.clientWidth, behavior: "smooth" });
    }, 4000);
    ["touchstart", "pointerdown", "focusin"].forEach(function (name) {
      root.addEventListener(name, function () { clearInterval(timer); }, { once: true, passive: true });
    });
  }

  function init() { document.querySelectorAll("[data-carousel]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
