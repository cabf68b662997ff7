// spate's player page script (served as-is to browsers; no build step). Plays the stream of this
// folder over LL-HLS (hls.js, or native HLS on Safari) or low-latency DASH (dash.js) and shows how
// far behind live it is. Tests and scripts read the figures from `window.spate`.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("spate-config").textContent);
  var video = document.getElementById("video");
  var latencyEl = document.getElementById("latency");
  var statsEl = document.getElementById("stats");
  var statusEl = document.getElementById("status");
  var UPDATE_MS = 250;
  var RETRY_MS = 2000;

  // What the page measures. `stalls` counts `waiting` events after playback first started;
  // `latencySec` is wall clock minus the wall-clock time the shown frame entered the server.
  var state = {
    player: cfg.player,
    ready: false,
    playing: false,
    latencySec: null,
    currentTime: 0,
    bufferSec: 0,
    playbackRate: 1,
    stalls: 0,
    stalledSec: 0,
    errors: 0,
    error: null,
    library: null,
  };
  window.spate = state;

  var stallStartMs = 0;
  video.addEventListener("playing", function () {
    state.playing = true;
    state.ready = true;
    if (stallStartMs) state.stalledSec += (performance.now() - stallStartMs) / 1000;
    stallStartMs = 0;
    setStatus("playing");
  });
  video.addEventListener("waiting", function () {
    if (!state.ready) return;
    state.stalls++;
    stallStartMs = performance.now();
    setStatus("buffering…");
  });
  video.addEventListener("pause", function () {
    setStatus("paused");
  });

  function setStatus(text, isError) {
    statusEl.textContent = text;
    statusEl.className = isError ? "error" : "";
  }

  function fail(message) {
    state.errors++;
    state.error = message;
    setStatus(message, true);
  }

  function play() {
    var p = video.play();
    if (p && p.catch) p.catch(function (e) { setStatus("press play (" + e.name + ")"); });
  }

  // Seconds of media buffered ahead of the playhead.
  function bufferAhead() {
    var b = video.buffered;
    for (var i = 0; i < b.length; i++) {
      if (b.start(i) <= video.currentTime + 0.1 && video.currentTime <= b.end(i)) return b.end(i) - video.currentTime;
    }
    return 0;
  }

  var latencyOf = function () { return null; };

  function startHls() {
    if (window.Hls && window.Hls.isSupported()) {
      var Hls = window.Hls;
      state.library = "hls.js " + Hls.version;
      var hls = new Hls({
        lowLatencyMode: true,
        // Stay ~1 s behind the newest part; catch up by playing faster (up to 1.5x) when further.
        liveSyncDuration: cfg.hls.liveSyncSec,
        liveMaxLatencyDuration: cfg.hls.liveMaxLatencySec,
        maxLiveSyncPlaybackRate: cfg.hls.maxLiveSyncPlaybackRate,
        backBufferLength: 10,
      });
      window.spateHls = hls;
      hls.on(Hls.Events.MANIFEST_PARSED, play);
      hls.on(Hls.Events.ERROR, function (_event, data) {
        if (!data.fatal) return;
        fail("hls.js: " + data.type + " " + data.details);
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
          hls.recoverMediaError();
        } else {
          // The stream may not be live yet, or went away: start over after a pause.
          hls.destroy();
          setTimeout(startHls, RETRY_MS);
        }
      });
      hls.loadSource(cfg.hls.url);
      hls.attachMedia(video);
      latencyOf = function () {
        var d = hls.playingDate;
        return d ? (Date.now() - d.getTime()) / 1000 : null;
      };
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      // Safari plays LL-HLS natively; getStartDate() is the PROGRAM-DATE-TIME of media time 0.
      state.library = "native HLS";
      video.src = cfg.hls.url;
      play();
      latencyOf = function () {
        var start = video.getStartDate && video.getStartDate().getTime();
        return start ? (Date.now() - start) / 1000 - video.currentTime : null;
      };
    } else {
      fail("this browser cannot play HLS (no Media Source Extensions)");
    }
  }

  function startDash() {
    if (!window.dashjs) return fail("dash.js did not load");
    var player = window.dashjs.MediaPlayer().create();
    window.spateDash = player;
    state.library = "dash.js " + player.getVersion();
    // Low-latency mode follows from availabilityTimeComplete=false in the MPD; the target latency
    // comes from its ServiceDescription, so no liveDelay here.
    player.updateSettings({
      streaming: {
        liveCatchup: { enabled: true },
        buffer: { bufferToKeep: 10 },
      },
    });
    player.on(window.dashjs.MediaPlayer.events.ERROR, function (e) {
      var err = e && e.error;
      fail("dash.js: " + (err ? (err.code || "") + " " + (err.message || "") : "error"));
    });
    player.initialize(video, cfg.dash.url, true);
    latencyOf = function () {
      var l = player.getCurrentLiveLatency();
      return typeof l === "number" && isFinite(l) && l > 0 ? l : null;
    };
  }

  function update() {
    state.currentTime = video.currentTime;
    state.bufferSec = bufferAhead();
    state.playbackRate = video.playbackRate;
    var latency = state.playing ? latencyOf() : null;
    state.latencySec = latency;
    latencyEl.textContent = latency === null ? "–" : latency.toFixed(2) + " s";
    statsEl.textContent =
      (state.library || "") +
      " · buffer " + state.bufferSec.toFixed(2) + " s" +
      " · rate " + state.playbackRate.toFixed(2) +
      " · stalls " + state.stalls;
  }
  setInterval(update, UPDATE_MS);

  if (cfg.player === "dash") startDash();
  else startHls();
})();
