// rehabkit serve: the hold timer on an exercise's page, an enhancement only. Without JavaScript the page shows the
// dose in words and the patient times the holds themselves; with it, a countdown of each hold, the relaxation between
// holds and the rest between sets. No sound, no network, nothing stored: the answers are the page's own forms.
"use strict";
(function () {
  var box = document.getElementById("timer");
  if (!box) { return; }
  var sets = Number(box.dataset.sets) || 1, reps = Number(box.dataset.reps) || 1;
  var hold = Number(box.dataset.hold) || 0, relax = Number(box.dataset.relax) || 0, rest = Number(box.dataset.rest) || 0;
  if (!hold) { return; }
  var show = document.getElementById("timer-text"), start = document.getElementById("timer-start");
  var pause = document.getElementById("timer-pause");
  var steps = [];
  for (var s = 1; s <= sets; s++) {
    for (var r = 1; r <= reps; r++) {
      steps.push({ what: "Set " + s + " of " + sets + ", hold " + r + " of " + reps + ": hold", seconds: hold });
      if (r < reps && relax) { steps.push({ what: "Relax", seconds: relax }); }
    }
    if (s < sets && rest) { steps.push({ what: "Rest before set " + (s + 1), seconds: rest }); }
  }
  var index = 0, left = 0, ticking = null, paused = false;
  function draw() {
    show.textContent = index < steps.length ? steps[index].what + " " + left + " s" : "Done: now tell us your pain during it.";
  }
  function tick() {
    if (paused) { return; }
    left -= 1;
    if (left <= 0) {
      index += 1;
      if (index >= steps.length) { clearInterval(ticking); ticking = null; pause.hidden = true; draw(); return; }
      left = steps[index].seconds;
    }
    draw();
  }
  start.addEventListener("click", function () {
    if (ticking) { clearInterval(ticking); }
    index = 0; left = steps[0].seconds; paused = false; pause.hidden = false; pause.textContent = "Pause";
    draw();
    ticking = setInterval(tick, 1000);
  });
  pause.addEventListener("click", function () {
    paused = !paused;
    pause.textContent = paused ? "Go on" : "Pause";
  });
  box.hidden = false;
})();
