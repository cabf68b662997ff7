// spate's player page script (served as-is to browsers; no build step). By default it plays the
// stream of this folder over WebRTC (WHEP) and falls back to LL-HLS (hls.js, or native HLS on
// Safari) when WHEP fails; ?player=whep|hls|dash forces one (dash: low-latency DASH with dash.js).
// It shows which it uses and how far behind live it is. Tests and scripts read the figures from
// `window.spate`.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("spate-config").textContent);
  var video = document.getElementById("video");
  var modeEl = document.getElementById("mode");
  var latencyEl = document.getElementById("latency");
  var statsEl = document.getElementById("stats");
  var statusEl = document.getElementById("status");
  var noticeEl = document.getElementById("notice");
  var UPDATE_MS = 250;
  // Bounded backoff between retries while nothing plays: 1, 2, 4, 8, 10, 10... s.
  var RETRY_MIN_MS = 1000;
  var RETRY_MAX_MS = 10000;

  // What the page measures. `player` is what plays now ("whep", "hls" or "dash"); `fallback` why
  // WHEP was left. `stalls` counts `waiting` events after playback first started. `latencySec`:
  // for LL-HLS and DASH, wall clock minus the wall-clock time the shown frame entered the server
  // (PROGRAM-DATE-TIME, the MPD's timing); for WHEP see `latencySource`.
  var state = {
    mode: cfg.player,
    player: null,
    ready: false,
    playing: false,
    latencySec: null,
    latencySource: null,
    currentTime: 0,
    bufferSec: 0,
    playbackRate: 1,
    stalls: 0,
    stalledSec: 0,
    mutedByBrowser: false,
    errors: 0,
    error: null,
    library: null,
    fallback: null,
    retries: 0,
    // WHEP only: decoded video frames, received audio packets, and whether the stream's audio
    // comes over WebRTC ("webrtc"), cannot ("unavailable": e.g. AAC), or the stream has none.
    framesDecoded: 0,
    audioPackets: 0,
    audio: null,
    audioNotice: null,
    whepSession: null,
  };
  window.spate = state;

  var stallStartMs = 0;
  video.addEventListener("playing", function () {
    state.playing = true;
    state.ready = true;
    if (stallStartMs) state.stalledSec += (performance.now() - stallStartMs) / 1000;
    stallStartMs = 0;
    setStatus(playingText());
  });
  video.addEventListener("volumechange", function () {
    if (!video.muted) state.mutedByBrowser = false;
    if (state.playing) setStatus(playingText());
  });

  // A WHEP session without audio has nothing to unmute (the notice says why).
  function playingText() {
    var silent = state.player === "whep" && state.audio !== "webrtc";
    return state.mutedByBrowser && !silent ? "playing muted: this browser plays sound only after a click; unmute in the controls" : "playing";
  }
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

  function setMode(player, library) {
    state.player = player;
    state.library = library;
    var names = { whep: "WebRTC (WHEP)", hls: "LL-HLS", dash: "LL-DASH" };
    modeEl.textContent = names[player] + (state.fallback ? " (WebRTC failed: " + state.fallback + ")" : "");
  }

  function fail(message) {
    state.errors++;
    state.error = message;
    setStatus(message, true);
  }

  function retryDelayMs() {
    var ms = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * Math.pow(2, state.retries));
    state.retries++;
    return ms * (0.8 + 0.4 * Math.random());
  }

  // With sound if the browser lets a page do that on its own, else muted and saying so.
  function play() {
    var p = video.play();
    if (!p || !p.catch) return;
    p.catch(function (e) {
      if (e.name === "AbortError") return; // a newer load or play() replaced this one
      if (e.name !== "NotAllowedError" || video.muted) return setStatus("press play (" + e.name + ")");
      video.muted = true;
      state.mutedByBrowser = true;
      play();
    });
  }

  function loadScript(url) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = url;
      s.onload = resolve;
      s.onerror = function () { reject(new Error("could not load " + url)); };
      document.head.appendChild(s);
    });
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

  // ---- WebRTC (WHEP, draft-ietf-wish-whep) ----

  var whep = null;

  function WhepError(message, notLive) {
    this.message = message;
    this.notLive = notLive;
  }

  // One WHEP attempt: resolves once a video frame is decoded, rejects with a WhepError on an HTTP
  // error, an ICE/DTLS failure or no frame within cfg.whep.frameTimeoutMs.
  function startWhep() {
    if (!window.RTCPeerConnection) return Promise.reject(new WhepError("this browser has no WebRTC", false));
    setMode("whep", "WebRTC (WHEP)");
    state.framesDecoded = 0;
    state.audioPackets = 0;
    lastProcessing = { delay: 0, frames: 0 };
    var pc = new RTCPeerConnection();
    window.spateWhep = pc;
    var session = {
      pc: pc, location: null, closed: false, polling: false,
      latencySec: null, latencySource: null, rttSec: undefined, displaySec: undefined, processingSec: undefined,
    };
    whep = session;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    var media = new MediaStream();
    pc.ontrack = function (e) {
      media.addTrack(e.track);
      video.srcObject = media;
    };
    setStatus("connecting over WebRTC…");
    return pc
      .createOffer()
      .then(function (offer) { return pc.setLocalDescription(offer); })
      // spate is ICE-lite and learns our address from our checks: the offer goes at once, without
      // waiting for (or trickling) our candidates.
      .then(function () {
        return fetch(cfg.whep.url, { method: "POST", headers: { "content-type": "application/sdp" }, body: pc.localDescription.sdp });
      })
      .then(function (res) {
        return res.text().then(function (body) {
          if (res.status !== 201) {
            throw new WhepError("WHEP " + res.status + (body ? ": " + body.trim().slice(0, 200) : ""), res.status === 404);
          }
          session.location = new URL(res.headers.get("location"), location.href).href;
          state.whepSession = session.location;
          return pc.setRemoteDescription({ type: "answer", sdp: body }).then(function () { return body; });
        });
      })
      .then(function (answer) {
        checkAudio(answer);
        play();
        return firstFrame(session);
      })
      .then(function () {
        watchFrames(session);
        return session;
      }, function (e) {
        stopWhep();
        throw e instanceof WhepError ? e : new WhepError(e && e.message ? e.message : String(e), false);
      });
  }

  // Waits for the first decoded video frame, or for the connection to fail.
  function firstFrame(session) {
    return new Promise(function (resolve, reject) {
      var deadline = performance.now() + cfg.whep.frameTimeoutMs;
      var timer = setInterval(function () {
        var s = session.pc.connectionState;
        if (s === "failed" || s === "closed") done(new WhepError("WebRTC connection " + s + " (ICE or DTLS)", false));
        else if (state.framesDecoded > 0) done(null);
        else if (performance.now() > deadline) done(new WhepError("no video frame within " + cfg.whep.frameTimeoutMs / 1000 + " s (connection " + s + ")", false));
        else pollStats(session);
      }, 100);
      function done(err) {
        clearInterval(timer);
        if (err) reject(err);
        else resolve();
      }
    });
  }

  // After it played: a connection that fails later (the publisher left, the server restarted) is
  // made again, with backoff.
  function watchFrames(session) {
    state.retries = 0;
    session.pc.addEventListener("connectionstatechange", function () {
      var s = session.pc.connectionState;
      if (session.closed || (s !== "failed" && s !== "closed")) return;
      fail("WebRTC connection " + s + "; reconnecting");
      stopWhep();
      state.playing = false;
      setTimeout(run, retryDelayMs());
    });
    // Behind live over WebRTC, as the page can see it: half the ICE round trip (spate -> here) plus,
    // per shown frame, the time from its last packet's arrival to its display (jitter buffer, decode,
    // render: requestVideoFrameCallback's receiveTime). spate's own part, ingest to socket, is under
    // a millisecond; the publisher's encoder and uplink are not in it (nor are they in LL-HLS's
    // PROGRAM-DATE-TIME figure, the time a frame entered spate). Chromium gives spate's frames no
    // captureTime (its answer negotiates no abs-capture-time header extension), so none is used.
    if (video.requestVideoFrameCallback) {
      var onFrame = function (_now, md) {
        if (session.closed) return;
        if (md.receiveTime) {
          var sec = Math.max(0, (md.expectedDisplayTime - md.receiveTime) / 1000);
          session.displaySec = session.displaySec === undefined ? sec : session.displaySec + 0.1 * (sec - session.displaySec);
        }
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    }
    latencyOf = function () { return session.latencySec; };
  }

  var lastProcessing = { delay: 0, frames: 0 };
  // Reads getStats: frames decoded, audio packets, the ICE round trip and, where
  // requestVideoFrameCallback has no receiveTime, the mean time from a frame's first packet to its
  // decoding (totalProcessingDelay) over the last interval instead of receive-to-display.
  function pollStats(session) {
    if (session.polling || session.closed) return;
    session.polling = true;
    session.pc.getStats().then(function (report) {
      session.polling = false;
      report.forEach(function (s) {
        if (s.type === "inbound-rtp" && s.kind === "video") {
          state.framesDecoded = s.framesDecoded || 0;
          var d = (s.totalProcessingDelay || 0) - lastProcessing.delay;
          var n = state.framesDecoded - lastProcessing.frames;
          if (n > 0 && s.totalProcessingDelay !== undefined) session.processingSec = d / n;
          lastProcessing = { delay: s.totalProcessingDelay || 0, frames: state.framesDecoded };
        } else if (s.type === "inbound-rtp" && s.kind === "audio") {
          state.audioPackets = s.packetsReceived || 0;
        } else if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime !== undefined) {
          session.rttSec = s.currentRoundTripTime;
        }
      });
      var half = (session.rttSec || 0) / 2;
      if (session.displaySec !== undefined) {
        session.latencySec = half + session.displaySec;
        session.latencySource = "rtt/2 + receive-to-display";
      } else if (session.processingSec !== undefined) {
        session.latencySec = half + session.processingSec;
        session.latencySource = "rtt/2 + receive-to-decode";
      }
    }, function () { session.polling = false; });
  }

  // The answer says whether audio comes: spate refuses (port 0) an audio section it cannot fill, as
  // for an AAC stream (WebRTC carries Opus; spate does not transcode). The API says why.
  function checkAudio(answer) {
    var m = /^m=audio (\d+)[^\r\n]*(?:\r?\n(?!m=)[^\r\n]*)*/m.exec(answer);
    var carried = !!m && m[1] !== "0" && !/^a=inactive/m.test(m[0]);
    if (carried) {
      state.audio = "webrtc";
      return;
    }
    fetch(cfg.api)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (info) {
        var tracks = (info && info.tracks) || [];
        var audio = tracks.filter(function (t) { return t.kind === "audio"; })[0];
        if (info && !audio) {
          state.audio = "none";
          return;
        }
        state.audio = "unavailable";
        var what = audio ? audio.codec.toUpperCase() : "not a codec WebRTC carries";
        showNotice("No sound over WebRTC: this stream's audio is " + what + " (WebRTC carries Opus). ", "Play over LL-HLS with sound", cfg.links.hls);
      })
      .catch(function () {});
  }

  function showNotice(text, linkText, href) {
    noticeEl.textContent = text;
    var a = document.createElement("a");
    a.href = href;
    a.textContent = linkText;
    noticeEl.appendChild(a);
    noticeEl.hidden = false;
    state.audioNotice = noticeEl.textContent;
  }

  // Ends the WHEP session: DELETE tells the server at once (else it notices in a few seconds when
  // our consent checks stop). keepalive lets the request outlive the page.
  function stopWhep() {
    var session = whep;
    whep = null;
    if (!session || session.closed) return;
    session.closed = true;
    if (session.location) fetch(session.location, { method: "DELETE", keepalive: true }).catch(function () {});
    session.pc.close();
    video.srcObject = null;
    state.whepSession = null;
  }
  window.addEventListener("pagehide", stopWhep);
  // Back from the back-forward cache: the session was ended on pagehide, so make a new one.
  window.addEventListener("pageshow", function (e) {
    if (e.persisted && state.player === "whep" && !whep) run();
  });

  // ---- LL-HLS and DASH ----

  // `onNotLive`: what to do when the stream is not there (default: try LL-HLS again, with backoff).
  function startHls(onNotLive) {
    if (window.Hls && window.Hls.isSupported()) {
      var Hls = window.Hls;
      setMode("hls", "hls.js " + Hls.version);
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
      hls.on(Hls.Events.FRAG_BUFFERED, function () { state.retries = 0; });
      hls.on(Hls.Events.ERROR, function (_event, data) {
        if (!data.fatal) return;
        fail("hls.js: " + data.type + " " + data.details);
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
          hls.recoverMediaError();
        } else {
          // The stream may not be live yet, or went away: start over after a pause.
          hls.destroy();
          state.playing = false;
          setTimeout(onNotLive || function () { startHls(); }, retryDelayMs());
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
      setMode("hls", "native HLS");
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
    setMode("dash", "dash.js " + player.getVersion());
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
    // dash.js starts playback itself; when the browser refuses sound without a click, play muted.
    player.on(window.dashjs.MediaPlayer.events.PLAYBACK_NOT_ALLOWED, function () {
      if (video.muted) return;
      video.muted = true;
      state.mutedByBrowser = true;
      play();
    });
    player.initialize(video, cfg.dash.url, true);
    latencyOf = function () {
      var l = player.getCurrentLiveLatency();
      return typeof l === "number" && isFinite(l) && l > 0 ? l : null;
    };
  }

  // ---- which one ----

  // Default: WHEP first; on failure LL-HLS. A failure because nothing is live yet (404) is not
  // WHEP's fault: when LL-HLS finds nothing live either, the next retry starts with WHEP again.
  function run() {
    if (cfg.player === "hls") return startHls();
    if (cfg.player === "dash") return startDash();
    startWhep().then(
      function () {
        state.fallback = null;
      },
      function (e) {
        fail(e.message);
        if (cfg.player === "whep") {
          setStatus(e.message + "; retrying", true);
          return setTimeout(run, retryDelayMs());
        }
        state.fallback = e.message;
        var retry = e.notLive ? run : undefined;
        (window.Hls ? Promise.resolve() : loadScript(cfg.assets.hls)).then(
          function () { startHls(retry); },
          function (err) { fail(err.message); },
        );
      },
    );
  }

  function update() {
    state.currentTime = video.currentTime;
    state.bufferSec = bufferAhead();
    state.playbackRate = video.playbackRate;
    if (state.player === "whep" && whep) {
      pollStats(whep);
      state.latencySource = whep.latencySource;
    } else {
      state.latencySource = state.player === "hls" ? "program-date-time" : state.player === "dash" ? "dash.js live latency" : null;
    }
    var latency = state.playing ? latencyOf() : null;
    state.latencySec = latency;
    latencyEl.textContent = latency === null ? "–" : latency.toFixed(2) + " s";
    latencyEl.title =
      state.player === "whep" ? "half the network round trip + the time from a frame's arrival to its display (" + state.latencySource + ")"
      : "wall clock minus the time the shown frame entered the server";
    statsEl.textContent =
      (state.library || "") +
      (state.player === "whep"
        ? " · frames " + state.framesDecoded + " · latency = " + (state.latencySource || "–")
        : " · buffer " + state.bufferSec.toFixed(2) + " s · rate " + state.playbackRate.toFixed(2)) +
      " · stalls " + state.stalls;
  }
  setInterval(update, UPDATE_MS);

  run();
})();
