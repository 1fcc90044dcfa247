/* Sahayak agent workspace: live updates over one websocket, presence and typing. */
(function () {
  "use strict";
  var body = document.body;
  var me = Number(body.dataset.userId);
  var conv = document.getElementById("conversation");
  var convId = conv ? Number(conv.dataset.id) : null;
  var list = document.getElementById("inbox-list");
  var socket = null, retry = 0, watchers = {};

  function t(key) { return body.dataset["i18n" + key] || ""; }

  function toast(node) {
    var box = document.getElementById("toasts");
    var el = document.createElement("div");
    el.className = "toast";
    el.appendChild(node);
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 8000);
  }

  function fetchHtml(url) {
    return fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); });
  }

  // --- the conversation page ----------------------------------------------------------
  var timelineBusy = Promise.resolve();
  function lastMessageId() {
    // Messages are shown in the order written, not arrival: the newest is the highest id.
    var newest = 0;
    document.querySelectorAll("#timeline > li[data-id]").forEach(function (li) {
      newest = Math.max(newest, Number(li.dataset.id));
    });
    return newest;
  }
  function refreshTimeline() {
    // Serialized, and each message is added once whatever the order of events and replies.
    timelineBusy = timelineBusy.then(function () {
      return fetchHtml(conv.dataset.timelineUrl + "?after=" + lastMessageId()).then(function (html) {
        var tpl = document.createElement("template");
        tpl.innerHTML = html;
        var timeline = document.getElementById("timeline");
        Array.prototype.forEach.call(tpl.content.querySelectorAll("li[data-id]"), function (li) {
          if (!document.getElementById(li.id)) timeline.appendChild(li);
        });
      }).catch(function () {});
    });
    return timelineBusy;
  }
  var IN_FLIGHT = ".delivery.ds-pending, .delivery.ds-sending, .delivery.ds-retrying";
  function refreshMessage(id) {
    var el = document.getElementById("msg-" + id);
    if (!el) return refreshTimeline();
    var wasInFlight = !!el.querySelector(IN_FLIGHT);
    return fetchHtml(conv.dataset.messageUrl.replace(/\/0\/$/, "/" + id + "/")).then(function (html) {
      var tpl = document.createElement("template");
      tpl.innerHTML = html.trim();
      var fresh = tpl.content.firstElementChild;
      if (!fresh) return;
      el.replaceWith(fresh);
      // A reply that went out may have changed the conversation (new → open, first
      // response, SLA clocks): the side panel is drawn again.
      if (wasInFlight && !fresh.querySelector(IN_FLIGHT)) refreshSide();
    }).catch(function () {});
  }
  var sideTimer = null;
  function refreshSide() {
    clearTimeout(sideTimer);
    sideTimer = setTimeout(function () {
      var side = document.getElementById("side");
      var typing = /^(INPUT|TEXTAREA)$/.test(document.activeElement ? document.activeElement.tagName : "");
      if (side.contains(document.activeElement) && typing) return;  // not under the agent's cursor
      fetchHtml(conv.dataset.sideUrl).then(function (html) {
        side.innerHTML = html;
        if (window.htmx) htmx.process(side);
      }).catch(function () {});
    }, 150);
  }
  function renderPresence() {
    var box = document.getElementById("presence");
    if (!box) return;
    box.textContent = "";
    var now = Date.now();
    Object.keys(watchers).forEach(function (key) {
      var w = watchers[key];
      if (now - w.seen > 60000) { delete watchers[key]; return; }
      var typing = w.state === "typing" && now - w.at < 6000;
      var span = document.createElement("span");
      span.className = "who";
      span.dataset.userId = w.user_id;
      span.textContent = w.name + " " + (typing ? t("Typing") : t("Viewing"));
      box.appendChild(span);
    });
  }
  function onPresence(ev) {
    if (ev.conversation_id !== convId) return;
    if (ev.user_id === me && ev.state !== "left") { /* another tab of mine: still show it */ }
    var key = ev.user_id + ":" + ev.sender;
    if (ev.state === "left") { delete watchers[key]; renderPresence(); return; }
    var w = watchers[key] || { user_id: ev.user_id, name: ev.name };
    w.seen = Date.now();
    if (ev.state === "typing") { w.state = "typing"; w.at = Date.now(); }
    else if (w.state !== "typing" || Date.now() - (w.at || 0) > 6000) { w.state = "viewing"; }
    watchers[key] = w;
    renderPresence();
  }

  // --- the inbox page -----------------------------------------------------------------
  // Counts beside the views panel's links: fetched after the page, and again after live
  // events, at most every few seconds (the server caches them briefly too).
  var panel = document.querySelector("[data-counts-url]");
  var countsTimer = null, countsAt = 0;
  function loadCounts(fresh) {
    countsAt = Date.now();
    fetch(panel.dataset.countsUrl + (fresh ? "?fresh=1" : ""), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        panel.querySelectorAll("[data-count]").forEach(function (el) {
          var n = data.counts[el.dataset.count];
          if (n === undefined) return;
          el.textContent = n > data.cap ? data.cap + "+" : String(n);
          if (el.dataset.count === "view:breaching") el.classList.toggle("hot", n > 0);
        });
      })
      .catch(function () {});
  }
  function refreshCounts() {
    if (!panel) return;
    clearTimeout(countsTimer);
    countsTimer = setTimeout(function () { loadCounts(true); }, Math.max(500, 5000 - (Date.now() - countsAt)));
  }
  if (panel) loadCounts(false);
  var listTimer = null;
  function refreshList() {
    clearTimeout(listTimer);
    listTimer = setTimeout(function () {
      var current = document.getElementById("inbox-list");
      if (!current) return;
      if (current.querySelector("input[name=ids]:checked")) {  // keep the agent's selection
        var note = document.createElement("a");
        note.href = location.href;
        note.textContent = t("NewActivity");
        toast(note);
        return;
      }
      fetchHtml(current.dataset.refreshUrl).then(function (html) {
        var tpl = document.createElement("template");
        tpl.innerHTML = html.trim();
        var fresh = tpl.content.getElementById("inbox-list");
        if (fresh) { current.replaceWith(fresh); bindSelectAll(); }
      }).catch(function () {});
    }, 250);
  }
  function bindSelectAll() {
    var all = document.getElementById("select-all");
    if (!all) return;
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = all.checked; });
    });
  }

  // --- events -------------------------------------------------------------------------
  function onEvent(ev) {
    if (list || document.getElementById("inbox-list")) { refreshList(); refreshCounts(); }
    if (convId && ev.conversation_id === convId) {
      if ((ev.kind === "message" || ev.kind === "new") && ev.direction === "in" &&
          document.querySelector(".reply-window.closed")) {
        location.reload();  // the customer wrote: the reply window is open again
        return;
      }
      if (ev.kind === "message" || ev.kind === "new") refreshTimeline();
      else if (ev.kind === "delivery") refreshMessage(ev.message_id);
      else if (ev.kind === "updated") refreshSide();
    }
  }
  // SLA timer badges count down every second: ok, then warning, then breach.
  function countdown(seconds) {
    var whole = Math.floor(Math.abs(seconds) / 60), hours = Math.floor(whole / 60);
    var text = hours >= 24 ? t("Days").replace("{days}", String(Math.floor(hours / 24)))
      : hours + ":" + String(whole % 60).padStart(2, "0");
    return seconds < 0 ? "\u2212" + text : text;
  }
  function tickBadges() {
    var now = Date.now();
    document.querySelectorAll(".sla-badge").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("datetime")) - now) / 1000;
      var state = left <= 0 ? "breach" : left <= Number(el.dataset.warn || 0) ? "warn" : "ok";
      el.classList.remove("sla-ok", "sla-warn", "sla-breach");
      el.classList.add("sla-" + state);
      el.textContent = countdown(left);
    });
  }
  tickBadges();
  setInterval(tickBadges, 1000);

  var chime = null;
  function ring() {
    try {
      chime = chime || new (window.AudioContext || window.webkitAudioContext)();
      var osc = chime.createOscillator(), gain = chime.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, chime.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, chime.currentTime + 0.4);
      osc.connect(gain); gain.connect(chime.destination);
      osc.start(); osc.stop(chime.currentTime + 0.4);
    } catch (e) { /* no audio here */ }
  }
  function alert_(text) {
    // Besides the toast, as the agent chose: a system notification while the workspace is
    // in the background, and a short sound.
    if (body.dataset.notifyBrowser === "1" && window.Notification && Notification.permission === "granted" &&
        document.visibilityState !== "visible") {
      new Notification(text);
    }
    if (body.dataset.notifySound === "1") ring();
  }
  function onNotify(ev) {
    var a = document.createElement("a");
    if (ev.kind === "assigned") {
      a.href = "/c/" + ev.conversation_id + "/";
      a.textContent = t("Assigned") + " #" + ev.conversation_id + " " + (ev.subject || "");
      alert_(a.textContent);
    } else if (ev.kind === "customer_reply") {
      a.href = "/c/" + ev.conversation_id + "/#msg-" + ev.message_id;
      a.textContent = t("ReplyToMine") + " #" + ev.conversation_id + " " + (ev.subject || "");
      alert_(a.textContent);
    } else if (ev.kind === "sla_warning" || ev.kind === "sla_breached") {
      a.href = "/c/" + ev.conversation_id + "/";
      a.textContent = t(ev.kind === "sla_warning" ? "SlaWarning" : "SlaBreached") + " #" +
        ev.conversation_id + " " + (ev.subject || "");
    } else {
      a.href = "/c/" + ev.conversation_id + "/#msg-" + ev.message_id;
      a.textContent = ev.actor + " " + t("Mention") + " #" + ev.conversation_id + " " + (ev.subject || "");
      alert_(a.textContent);
    }
    toast(a);
    var badge = document.getElementById("unread");
    badge.textContent = String((Number(badge.textContent) || 0) + 1);
    badge.classList.remove("hidden");
  }

  function send(obj) { if (socket && socket.readyState === 1) socket.send(JSON.stringify(obj)); }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/agent/");
    socket.onopen = function () {
      retry = 0;
      document.getElementById("live-status").classList.add("hidden");
      body.dataset.live = "1";
      if (convId) send({ type: "watch", conversation_id: convId });
    };
    socket.onmessage = function (msg) {
      var ev;
      try { ev = JSON.parse(msg.data); } catch (e) { return; }
      if (ev.type === "event") onEvent(ev);
      else if (ev.type === "presence") onPresence(ev);
      else if (ev.type === "notify") onNotify(ev);
    };
    socket.onclose = function (e) {
      body.dataset.live = "";
      if (e.code === 4401) return;  // signed out
      var status = document.getElementById("live-status");
      status.textContent = t("Offline");
      status.classList.remove("hidden");
      var delay = Math.min(30000, 500 * Math.pow(2, retry++)) * (0.75 + Math.random() / 2);
      setTimeout(function () {
        connect();
        if (convId) refreshTimeline();  // catch up on what was missed while offline
        if (document.getElementById("inbox-list")) refreshList();
      }, delay);
    };
  }

  if (!window.WebSocket || !me) return;
  connect();
  bindSelectAll();
  setInterval(function () {
    send(convId ? { type: "viewing" } : { type: "ping" });  // also says "still here"
    renderPresence();
  }, 20000);

  if (conv) {
    // Sends still in flight are re-read every few seconds: their status may change in a
    // worker process whose events reach this server only through a shared (Redis) layer.
    setInterval(function () {
      document.querySelectorAll(IN_FLIGHT)
        .forEach(function (el) { refreshMessage(el.closest("li[data-id]").dataset.id); });
    }, 5000);
    var text = document.getElementById("reply-text");
    var lastTyping = 0;
    text.addEventListener("input", function () {
      if (Date.now() - lastTyping > 3000) { lastTyping = Date.now(); send({ type: "typing" }); }
    });
    document.body.addEventListener("sahayak:timeline", function () {
      document.getElementById("reply-form").reset();
      document.getElementById("reply-error").textContent = "";
      refreshTimeline();
    });
    document.body.addEventListener("sahayak:side", refreshSide);
    // A macro changed several things (reply, note, status, tags...): the draft stays.
    document.body.addEventListener("sahayak:changed", function () {
      refreshTimeline();
      refreshSide();
    });
    document.body.addEventListener("htmx:responseError", function (e) {
      var target = document.getElementById("reply-error");
      target.textContent = e.detail.xhr.responseText || e.detail.xhr.statusText;
    });
  }
})();

// Knowledge base suggestions in the reply box: insert an article's link or text at the
// cursor, and record that the article was used on this conversation.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest(".kb-insert");
  if (!button) return;
  var item = button.closest(".kb-item");
  var box = document.getElementById("reply-text");
  if (!box || !item) return;
  var value = button.dataset.insert || "";
  var start = box.selectionStart || 0, end = box.selectionEnd || 0;
  var before = box.value.slice(0, start), after = box.value.slice(end);
  var glue = before && !/\s$/.test(before) ? "\n" : "";
  box.value = before + glue + value + after;
  box.focus();
  box.selectionStart = box.selectionEnd = (before + glue + value).length;
  box.dispatchEvent(new Event("input", { bubbles: true }));
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  var body = new URLSearchParams({ locale: item.dataset.locale || "" });
  fetch(item.dataset.linkUrl, {
    method: "POST",
    body: body,
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrf ? csrf.value : "" },
  }).then(function (response) {
    if (response.ok && !item.querySelector(".tag.ok")) {
      var tag = document.createElement("span");
      tag.className = "tag ok";
      tag.textContent = document.body.dataset.i18nUsedHere || "used here";
      item.querySelector(".kb-title").after(tag);
    }
  });
});

// Canned replies: "/" and a few letters at the cursor open a picker of matching replies,
// already in the customer's language with their placeholders filled in; picking one puts
// its text in place of the "/word" and counts it as used.
(function () {
  var box = document.getElementById("reply-text");
  var picker = document.getElementById("canned-picker");
  var warning = document.getElementById("canned-warning");
  if (!box || !picker) return;
  var timer = null;
  var token = null; // {start, end, query}: the "/word" being typed

  function slashWord() {
    var cursor = box.selectionStart || 0;
    var match = /(^|\s)\/([^\s\/]{0,40})$/.exec(box.value.slice(0, cursor));
    if (!match) return null;
    return { start: cursor - match[2].length - 1, end: cursor, query: match[2] };
  }
  function close() {
    picker.hidden = true;
    picker.innerHTML = "";
    token = null;
  }
  function load() {
    var wanted = slashWord();
    if (!wanted) return close();
    token = wanted;
    fetch(picker.dataset.url + "?q=" + encodeURIComponent(wanted.query), {
      credentials: "same-origin",
      headers: { "HX-Request": "true" },
    })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (token !== wanted) return; // typed on meanwhile
        picker.innerHTML = html;
        picker.hidden = false;
      });
  }
  function items() { return Array.prototype.slice.call(picker.querySelectorAll(".canned-item")); }
  function move(step) {
    var all = items();
    if (!all.length) return;
    var at = all.indexOf(document.activeElement);
    all[(at + step + all.length) % all.length].focus();
  }
  function pick(item) {
    var spot = token || slashWord() || { start: box.selectionStart, end: box.selectionEnd };
    var value = item.dataset.insert || "";
    box.value = box.value.slice(0, spot.start) + value + box.value.slice(spot.end);
    box.focus();
    box.selectionStart = box.selectionEnd = spot.start + value.length;
    var missing = item.querySelector(".canned-missing");
    if (warning) warning.textContent = missing ? missing.textContent : "";
    close();
    var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(item.dataset.usedUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf ? csrf.value : "" },
    });
  }
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(load, 120);
  });
  box.addEventListener("keydown", function (event) {
    if (picker.hidden) return;
    if (event.key === "Escape") { close(); event.preventDefault(); }
    else if (event.key === "ArrowDown" || event.key === "ArrowUp") { move(event.key === "ArrowDown" ? 1 : -1); event.preventDefault(); }
    else if (event.key === "Enter" && items().length) { pick(items()[0]); event.preventDefault(); }
  });
  picker.addEventListener("click", function (event) {
    var item = event.target.closest && event.target.closest(".canned-item");
    if (item) pick(item);
  });
  picker.addEventListener("keydown", function (event) {
    var item = event.target.closest && event.target.closest(".canned-item");
    if (event.key === "Enter" && item) { pick(item); event.preventDefault(); }
    else if (event.key === "Escape") { close(); box.focus(); event.preventDefault(); }
    else if (event.key === "ArrowDown" || event.key === "ArrowUp") { move(event.key === "ArrowDown" ? 1 : -1); event.preventDefault(); }
  });
  document.getElementById("reply-form").addEventListener("reset", function () {
    if (warning) warning.textContent = "";
    close();
  });
})();

// Copy buttons (a webhook address to paste at a provider): the text goes to the
// clipboard and the button says so for a moment.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-copy]");
  if (!button || !navigator.clipboard) return;
  var label = button.textContent;
  navigator.clipboard.writeText(button.dataset.copy).then(function () {
    button.textContent = document.body.dataset.i18nCopied || "✓";
    setTimeout(function () { button.textContent = label; }, 1500);
  });
});

// A channel's reply window (WhatsApp's 24 hours): when it closes, the page is drawn again
// with the template picker instead of free text.
(function () {
  var note = document.querySelector(".reply-window[data-closes]:not(.closed)");
  if (!note) return;
  var wait = Date.parse(note.dataset.closes) - Date.now();
  if (wait > 0 && wait < 2147483647) setTimeout(function () { location.reload(); }, wait + 1000);
})();

// SMS segments: how many parts a reply costs, counted as sahayak.connectors.sms.segments
// does (GSM-7 when every character is in the GSM alphabet, else UCS-2 in UTF-16 units).
(function () {
  var out = document.getElementById("segment-count");
  var box = document.getElementById("reply-text");
  var select = document.querySelector("#reply-form select[name=channel]");
  if (!out || !box) return;
  var segmented = (out.dataset.segmented || "").split(" ").filter(Boolean);
  var basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var extended = "^{}\\[~]|€\f";
  function count(text) {
    var gsm = true, units = 0;
    for (var ch of text) {
      if (basic.indexOf(ch) >= 0) units += 1;
      else if (extended.indexOf(ch) >= 0) units += 2;
      else { gsm = false; break; }
    }
    if (!gsm) units = text.length;  // UTF-16 code units, as JavaScript counts them
    var single = gsm ? 160 : 70, part = gsm ? 153 : 67;
    var n = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / part);
    return { n: n, encoding: gsm ? "GSM-7" : "UCS-2", chars: units };
  }
  function update() {
    var channel = select ? select.value : "";
    if (segmented.indexOf(channel) < 0 || !box.value) { out.hidden = true; return; }
    var c = count(box.value);
    out.textContent = (c.n === 1 ? out.dataset.one : out.dataset.many)
      .replace("{n}", c.n).replace("{encoding}", c.encoding).replace("{chars}", c.chars);
    out.hidden = false;
  }
  box.addEventListener("input", update);
  if (select) select.addEventListener("change", update);
})();

/* Handle time: seconds this conversation's page is visible and focused, reported about
   once a minute and when the page is hidden or left (docs/metrics.md). */
(function () {
  "use strict";
  var conv = document.getElementById("conversation");
  if (!conv || !conv.dataset.handleUrl || !navigator.sendBeacon) return;
  var token = (document.body.getAttribute("hx-headers") || "").match(/"X-CSRFToken": "([^"]+)"/);
  var since = null, banked = 0;
  function active() { return document.visibilityState === "visible" && document.hasFocus(); }
  function pause() { if (since !== null) { banked += (Date.now() - since) / 1000; since = null; } }
  function resume() { if (since === null && active()) since = Date.now(); }
  function report() {
    pause();
    var seconds = Math.floor(banked);
    if (seconds >= 1) {
      var data = new FormData();
      data.append("seconds", String(seconds));
      if (token) data.append("csrfmiddlewaretoken", token[1]);
      if (navigator.sendBeacon(conv.dataset.handleUrl, data)) banked -= seconds;
    }
    resume();
  }
  window.addEventListener("focus", resume);
  window.addEventListener("blur", pause);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") report(); else resume();
  });
  window.addEventListener("pagehide", report);
  setInterval(report, 60000);
  resume();
})();
