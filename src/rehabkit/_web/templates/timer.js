// rehabkit serve: the hold timer on an exercise's page, an enhancement only. Without JavaScript the page shows the
// dose in words and the patient times the holds themselves; with it, before each set (and side) a get-ready
// countdown, then each hold, the relaxation between holds and the rest between sets (which "Skip rest" ends), with
// Pause. A sound at the end of each hold (Web Audio) and spoken counts (Web Speech) are off until the patient ticks
// them; the choice is remembered on this device. The screen is kept awake while the timer runs (Wake Lock, where the
// browser offers it). "This hurts" sends the sets finished so far with the page's own form, and the timer goes on from
// where it was when the patient comes back. Nothing is recorded here: the answers are the page's own forms.
"use strict";
(function () {
  var box = document.getElementById("timer");
  if (!box) { return; }
  var data = box.dataset;
  var sets = Number(data.sets) || 1, reps = Number(data.reps) || 1, hold = Number(data.hold) || 0;
  var relax = Number(data.relax) || 0, rest = Number(data.rest) || 0, ready = Number(data.ready) || 0;
  if (!hold) { return; }
  function $(id) { return document.getElementById(id); }
  var show = $("timer-text"), start = $("timer-start"), pause = $("timer-pause"), skip = $("timer-skip");
  var sound = $("timer-sound"), speech = $("timer-speech"), done = $("timer-done"), hurts = $("hurts-form");
  var steps = plan(), index = 0, left = 0, ticking = null, paused = false, started = false;
  var audio = null, wakeLock = null, asking = false;
  var saved = "rehabkit-timer:" + data.step;

  function plan() {
    var list = [], sides = data.sides === "each" ? ["left side", "right side"] : [""];
    var turns = data.sides === "alternating" ? ["left side", "right side"] : [""];
    for (var s = 1; s <= sets; s++) {
      for (var i = 0; i < sides.length; i++) {
        var where = "Set " + s + " of " + sets + (sides[i] ? ", " + sides[i] : "");
        if (ready) { list.push({ what: "Get ready: " + where + ", in", seconds: ready, kind: "ready", done: s - 1 }); }
        var n = 0;
        for (var r = 1; r <= reps; r++) {
          for (var t = 0; t < turns.length; t++) {
            if (n++ && relax) { list.push({ what: "Relax", seconds: relax, kind: "relax", done: s - 1 }); }
            var which = where + ", hold " + r + " of " + reps + (turns[t] ? ", " + turns[t] : "");
            list.push({ what: which + ": hold", seconds: hold, kind: "hold", done: s - 1 });
          }
        }
      }
      if (s < sets && rest) { list.push({ what: "Rest before set " + (s + 1), seconds: rest, kind: "rest", done: s }); }
    }
    return list;
  }

  function remembered(key) { try { return localStorage.getItem(key) === "on"; } catch (e) { return false; } }
  function remember(key, on) { try { localStorage.setItem(key, on ? "on" : "off"); } catch (e) { /* not kept */ } }

  function beep() {
    if (!sound.checked || !audio) { return; }
    var tone = audio.createOscillator(), gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.value = 0.2;
    tone.connect(gain);
    gain.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.3);
  }

  function hearable() {  // called on a press or a tick of the box: browsers allow sound to start then
    var Context = window.AudioContext || window.webkitAudioContext;
    if (sound.checked && !audio && Context) { audio = new Context(); }
  }

  function say(text) {
    if (!speech.checked || !window.speechSynthesis) { return; }
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(new SpeechSynthesisUtterance(text));
  }

  function keepAwake() {
    if (wakeLock || asking || !navigator.wakeLock || document.visibilityState !== "visible") { return; }
    asking = true;
    navigator.wakeLock.request("screen").then(function (lock) {
      asking = false;
      if (!ticking || paused) { lock.release(); return; }  // paused or ended meanwhile
      wakeLock = lock;
      lock.addEventListener("release", function () { wakeLock = null; });
    }, function () { asking = false; /* refused (battery saver, hidden page): the timer runs anyway */ });
  }

  function letSleep() {
    if (wakeLock) { wakeLock.release(); wakeLock = null; }
  }

  function draw() {
    var step = steps[index];
    show.textContent = step ? step.what + " " + left + " s" + (paused ? " (paused)" : "") :
      "Done: now tell us your pain during it.";
    skip.hidden = !step || step.kind !== "rest";
    done.value = String(step ? step.done : sets);
  }

  function begin(at) {
    index = at;
    left = steps[index].seconds;
    say(steps[index].kind === "hold" ? "Hold" : steps[index].what);
  }

  function next() {
    if (steps[index].kind === "hold") { beep(); }
    if (index + 1 >= steps.length) { finish(); return; }
    begin(index + 1);
  }

  function finish() {
    clearInterval(ticking);
    ticking = null;
    index = steps.length;
    pause.hidden = true;
    letSleep();
    say("Done");
    forget();
  }

  function tick() {
    if (paused) { return; }
    left -= 1;
    if (left <= 0) { next(); } else if (steps[index].kind === "hold" && left <= 5) { say(String(left)); }
    draw();
  }

  function run(at, secondsLeft) {
    if (ticking) { clearInterval(ticking); }
    begin(at);
    if (secondsLeft) { left = secondsLeft; }
    started = true;
    pause.hidden = false;
    ticking = setInterval(tick, 1000);
    setPaused(false);
    hearable();
  }

  function setPaused(on) {
    paused = on;
    pause.textContent = on ? "Go on" : "Pause";
    if (on) { letSleep(); } else { keepAwake(); }
    draw();
  }

  function forget() { try { sessionStorage.removeItem(saved); } catch (e) { /* nothing kept */ } }

  start.addEventListener("click", function () { forget(); run(0, 0); });
  pause.addEventListener("click", function () { setPaused(!paused); });
  skip.addEventListener("click", function () { if (steps[index] && steps[index].kind === "rest") { next(); draw(); } });
  hurts.addEventListener("submit", function () {
    if (!started || index >= steps.length) { return; }
    setPaused(true);
    try { sessionStorage.setItem(saved, JSON.stringify({ index: index, left: left, at: Date.now() })); } catch (e) { /* not kept */ }
  });
  [[sound, "rehabkit-sound"], [speech, "rehabkit-speech"]].forEach(function (pair) {
    pair[0].checked = remembered(pair[1]);
    pair[0].addEventListener("change", function () { remember(pair[1], pair[0].checked); hearable(); });
  });
  if (!window.AudioContext && !window.webkitAudioContext) { $("timer-sound-label").hidden = true; }
  if (!window.speechSynthesis) { $("timer-speech-label").hidden = true; }
  document.addEventListener("visibilitychange", function () { if (started && !paused && ticking) { keepAwake(); } });
  box.hidden = false;

  var kept = null;  // back from "this hurts" within the limit: the timer goes on from where it was, paused
  try { kept = JSON.parse(sessionStorage.getItem(saved) || "null"); } catch (e) { kept = null; }
  if (kept && kept.index >= 0 && kept.index < steps.length && Date.now() - kept.at < 2 * 3600 * 1000) {
    run(kept.index, kept.left);
    setPaused(true);
  } else {
    done.value = "";
  }
})();
