/* Sahayak chat widget. Embed with:
 *   <script src="https://HOST/widget.js" data-inbox="PUBLIC_KEY" async></script>
 * Optional signed identity (computed by your server): data-user-id, data-user-hash,
 * data-user-email, data-user-name; or call window.SahayakChat.identify({...}) later.
 * Everything shown is set as text, never parsed as HTML. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-inbox]");
  if (!script || window.SahayakChat && window.SahayakChat.loaded) return;
  var KEY = script.getAttribute("data-inbox");
  var BASE = new URL(script.src, location.href).origin;
  var WS = BASE.replace(/^http/, "ws") + "/ws/chat/" + encodeURIComponent(KEY) + "/";
  var STORE = "sahayak-chat:" + KEY;
  var identity = null;
  if (script.getAttribute("data-user-id")) {
    identity = {
      user_id: script.getAttribute("data-user-id"),
      signature: script.getAttribute("data-user-hash") || "",
      email: script.getAttribute("data-user-email") || "",
      name: script.getAttribute("data-user-name") || ""
    };
  }

  // --- state kept across page loads: the token, the newest message shown, the outbox ----
  function load() {
    try { return JSON.parse(localStorage.getItem(STORE)) || {}; } catch (e) { return {}; }
  }
  var saved = load();
  var state = { token: saved.token || null, outbox: saved.outbox || [], lastId: 0 };
  function persist() {
    try {
      localStorage.setItem(STORE, JSON.stringify({ token: state.token, outbox: state.outbox }));
    } catch (e) { /* private mode: the chat still works for this page */ }
  }

  var cfg = null, S = {}, socket = null, ready = false, retry = 0, opened = false;
  var shown = {}, byClient = {}, unread = 0, typingTimer = null, lastTyping = 0;
  var visitor = { name: "", email: "" }, messagesCount = 0;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }
  // Icons are drawn, not typed: an emoji shows as an empty box where no emoji font is.
  var ICONS = {
    chat: "M4 5h16v11H9l-5 4z",
    attach: "M16.5 6.5l-7.8 7.8a2 2 0 0 0 2.8 2.8l7.8-7.8a4 4 0 0 0-5.6-5.6L5.9 11.5a6 6 0 0 0 8.5 8.5l6.1-6.1"
  };
  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "sc-icon");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }
  function fmt(str, vars) {
    return str.replace(/%\((\w+)\)s/g, function (_, k) { return vars[k] == null ? "" : vars[k]; });
  }
  function uid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  // --- the page elements, inside a shadow root so the host's CSS cannot touch them -------
  var host = el("div");
  host.id = "sahayak-chat";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var ui = {};

  function build() {
    var css = el("link");
    css.rel = "stylesheet";
    css.href = BASE + "/widget.css";
    root.appendChild(css);
    var wrap = el("div", "sc");
    wrap.style.setProperty("--sc-color", cfg.color);
    wrap.setAttribute("dir", cfg.dir);
    wrap.setAttribute("lang", cfg.locale);
    ui.launcher = el("button", "sc-launcher");
    ui.launcher.type = "button";
    ui.launcher.setAttribute("aria-label", S.open);
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.appendChild(icon("chat"));
    ui.badge = el("span", "sc-badge");
    ui.badge.hidden = true;
    ui.launcher.appendChild(ui.badge);
    ui.panel = el("section", "sc-panel");
    ui.panel.hidden = true;
    ui.panel.setAttribute("role", "dialog");
    ui.panel.setAttribute("aria-label", cfg.title);
    var head = el("header", "sc-head");
    var titles = el("div");
    titles.appendChild(el("strong", "sc-title", cfg.title));
    ui.status = el("div", "sc-status");
    titles.appendChild(ui.status);
    head.appendChild(titles);
    ui.transcript = el("button", "sc-link", S.transcript);
    ui.transcript.type = "button";
    head.appendChild(ui.transcript);
    ui.close = el("button", "sc-close", "×");
    ui.close.type = "button";
    ui.close.setAttribute("aria-label", S.close);
    head.appendChild(ui.close);
    ui.list = el("ol", "sc-list");
    ui.list.setAttribute("aria-live", "polite");
    ui.greeting = el("li", "sc-msg sc-agent sc-greeting");
    ui.greeting.appendChild(el("div", "sc-bubble", cfg.greeting));
    ui.list.appendChild(ui.greeting);
    ui.typing = el("div", "sc-typing");
    ui.notice = el("div", "sc-notice");
    ui.notice.setAttribute("role", "status");
    ui.form = buildComposer();
    ui.details = buildDetails();
    ui.panel.appendChild(head);
    ui.panel.appendChild(ui.list);
    ui.panel.appendChild(ui.typing);
    ui.panel.appendChild(ui.notice);
    ui.suggest = buildSuggestions();
    ui.panel.appendChild(ui.suggest);
    ui.panel.appendChild(ui.details);
    ui.panel.appendChild(ui.form);
    wrap.appendChild(ui.panel);
    wrap.appendChild(ui.launcher);
    root.appendChild(wrap);
    document.body.appendChild(host);
    ui.launcher.addEventListener("click", function () { toggle(!opened); });
    ui.close.addEventListener("click", function () { toggle(false); });
    ui.panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); toggle(false); }
    });
    ui.transcript.addEventListener("click", askTranscript);
    document.addEventListener("visibilitychange", markRead);
    setStatus();
  }

  function buildComposer() {
    var form = el("form", "sc-form");
    ui.text = el("textarea", "sc-text");
    ui.text.rows = 1;
    ui.text.maxLength = cfg.max_chars;
    ui.text.placeholder = S.placeholder;
    ui.text.setAttribute("aria-label", S.placeholder);
    ui.text.setAttribute("dir", "auto");
    ui.file = el("input");
    ui.file.type = "file";
    ui.file.hidden = true;
    ui.file.accept = cfg.upload.types.join(",");
    var attach = el("button", "sc-attach");
    attach.appendChild(icon("attach"));
    attach.type = "button";
    attach.setAttribute("aria-label", S.attach);
    var send = el("button", "sc-send", S.send);
    send.type = "submit";
    form.appendChild(attach);
    form.appendChild(ui.file);
    form.appendChild(ui.text);
    form.appendChild(send);
    attach.addEventListener("click", function () { ui.file.click(); });
    ui.file.addEventListener("change", function () {
      if (ui.file.files[0]) uploadFile(ui.file.files[0]);
      ui.file.value = "";
    });
    ui.text.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); submit(); }
    });
    ui.text.addEventListener("input", function () {
      if (ready && Date.now() - lastTyping > 3000) { lastTyping = Date.now(); send_({ type: "typing" }); }
      suggestSoon();
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
    return form;
  }

  // Help center articles for the visitor's first question, before anyone has to answer it.
  // Opening one and leaving without writing counts as a question answered by self-service.
  var suggestSession = uid().replace(/[^A-Za-z0-9_-]/g, "").slice(0, 40) + "w";
  var suggestTimer = null, suggestLast = "", suggestUsed = false;
  function buildSuggestions() {
    var box = el("div", "sc-suggest");
    box.hidden = true;
    box.appendChild(el("p", "sc-suggest-title", S.suggested));
    ui.suggestList = el("ul");
    box.appendChild(ui.suggestList);
    return box;
  }
  function suggestSoon() {
    if (!cfg.suggest_url || ui.list.querySelector(".sc-visitor")) { ui.suggest.hidden = true; return; }
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(function () {
      var q = ui.text.value.trim();
      if (q === suggestLast) return;
      suggestLast = q;
      if (q.length < 3) { ui.suggest.hidden = true; return; }
      fetch(BASE + cfg.suggest_url + "?q=" + encodeURIComponent(q))
        .then(function (r) { return r.json(); })
        .then(function (data) { if (q === suggestLast) showSuggestions(data.articles || [], q); })
        .catch(function () {});
    }, 400);
  }
  function showSuggestions(items, q) {
    ui.suggestList.textContent = "";
    items.slice(0, 3).forEach(function (a) {
      var li = el("li"), link = el("a", "", a.title);
      link.href = BASE + a.url + "?ref=suggest&channel=chat&s=" + suggestSession + "&q=" + encodeURIComponent(q);
      link.target = "_blank";
      link.rel = "noopener";
      link.addEventListener("click", function () { suggestUsed = true; });
      li.appendChild(link);
      ui.suggestList.appendChild(li);
    });
    ui.suggest.hidden = !items.length;
  }
  function askedAfterReading() {
    ui.suggest.hidden = true;
    if (!suggestUsed) return;
    suggestUsed = false;
    try {
      navigator.sendBeacon(BASE + cfg.suggest_url.replace(/suggest$/, "asked"), new URLSearchParams({ s: suggestSession }));
    } catch (e) { /* analytics only */ }
  }

  // The pre-chat form, the offline form and the transcript's email question share one form.
  function buildDetails() {
    var form = el("form", "sc-details");
    form.hidden = true;
    ui.detailsIntro = el("p", "sc-intro");
    form.appendChild(ui.detailsIntro);
    ui.nameInput = field(form, S.name, "text", "name");
    ui.emailInput = field(form, S.email, "email", "email");
    ui.detailsSubmit = el("button", "sc-send", S.start);
    ui.detailsSubmit.type = "submit";
    form.appendChild(ui.detailsSubmit);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var done = form._onDone;
      var details = { type: "details", name: ui.nameInput.value.trim(), email: ui.emailInput.value.trim() };
      if (details.name || details.email) {
        send_(details);
        if (details.name) visitor.name = details.name;
        if (details.email) visitor.email = details.email;
      }
      form.hidden = true;
      ui.form.hidden = false;
      if (done) done(details);
    });
    return form;
  }
  function field(form, label, type, name) {
    var wrap = el("label", "sc-field", label);
    var input = el("input");
    input.type = type;
    input.name = name;
    input.setAttribute("dir", "auto");
    wrap.appendChild(input);
    form.appendChild(wrap);
    return input;
  }
  function showDetails(intro, needEmail, buttonText, onDone) {
    ui.detailsIntro.textContent = intro;
    ui.nameInput.parentNode.hidden = needEmail === "email-only";
    ui.nameInput.value = visitor.name || "";
    ui.emailInput.value = visitor.email || "";
    ui.emailInput.required = !!needEmail;
    ui.nameInput.required = cfg.prechat === "required" && needEmail !== "email-only";
    ui.detailsSubmit.textContent = buttonText;
    ui.details._onDone = onDone;
    ui.details.hidden = false;
    ui.form.hidden = true;
  }

  // --- showing messages -------------------------------------------------------------------
  // Each message is shown once: by its id, and a visitor's own also by the browser's id,
  // whether it comes back as an ack, in the history after a reconnect, or from another tab.
  // Web addresses (and help center paths, which are on Sahayak's host) become links;
  // everything else stays text. No HTML is ever parsed.
  var LINK = /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)]|\/help\/[^\s<>"]+[^\s<>".,;:!?)])/g;
  function linkify(parent, text) {
    var last = 0;
    text.replace(LINK, function (match, _g, offset) {
      if (offset > last) parent.appendChild(document.createTextNode(text.slice(last, offset)));
      var a = el("a", "sc-link", match);
      a.href = match.charAt(0) === "/" ? BASE + match : match;
      a.target = "_blank";
      a.rel = "noopener noreferrer nofollow";
      parent.appendChild(a);
      last = offset + match.length;
      return match;
    });
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function render(m) {
    var li = (m.id && shown[m.id]) || (m.client_id && byClient[m.client_id]);
    if (li && li.dataset.id) return li;
    if (!li) {
      li = el("li", "sc-msg " + (m.from === "visitor" ? "sc-visitor" : "sc-agent"));
      if (m.from === "agent" && (m.author || m.bot)) {
        // The answer bot says it is one: a visitor must know when no person is writing.
        var who = el("div", "sc-author");
        var avatar = el("span", "sc-avatar", m.bot ? S.bot.charAt(0) : m.initials);
        avatar.setAttribute("aria-hidden", "true");
        who.appendChild(avatar);
        who.appendChild(el("span", null, m.bot ? S.bot : m.author));
        li.appendChild(who);
      }
      var bubble = el("div", "sc-bubble");
      linkify(bubble, m.text || "");
      bubble.setAttribute("dir", "auto");
      li.appendChild(bubble);
      (m.attachments || []).forEach(function (a) {
        var link = el("a", "sc-file", "📄 " + a.name);
        link.href = a.url.indexOf("http") === 0 ? a.url : BASE + a.url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        li.appendChild(link);
      });
      if (m.survey) li.appendChild(ratingRow(m.survey));
      li.appendChild(el("div", "sc-meta"));
      insertInOrder(li, m.id);
    }
    if (m.client_id) byClient[m.client_id] = li;
    if (m.id) {
      li.dataset.id = m.id;
      shown[m.id] = li;
      state.lastId = Math.max(state.lastId, m.id);
      messagesCount++;
    }
    var meta = li.querySelector(".sc-meta");
    meta.textContent = m.id ? time(m.at) : S.sending;
    li.classList.toggle("sc-pending", !m.id);
    if (m.from === "agent" && !opened) { unread++; badge(); }
    ui.list.scrollTop = ui.list.scrollHeight;
    return li;
  }
  // A rating request: the scale inline; the answer goes to the survey's signed link.
  function ratingRow(url) {
    var row = el("div", "sc-rating");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", S.rate_us);
    row.appendChild(el("span", "sc-rating-label", S.rate_us));
    [1, 2, 3, 4, 5].forEach(function (n) {
      var b = el("button", "sc-rate", String(n));
      b.type = "button";
      b.addEventListener("click", function () {
        var body = new URLSearchParams();
        body.set("score", String(n));
        fetch(url, { method: "POST", body: body, credentials: "omit" }).then(function (r) {
          if (!r.ok) throw new Error(r.status);
          row.textContent = "";
          row.appendChild(el("span", "sc-rating-done", S.rated));
        }).catch(function () { b.classList.add("sc-rate-failed"); });
      });
      row.appendChild(b);
    });
    return row;
  }
  function insertInOrder(li, id) {
    if (id) {
      var items = ui.list.querySelectorAll("li[data-id]");
      for (var i = 0; i < items.length; i++) {
        if (Number(items[i].dataset.id) > id) { ui.list.insertBefore(li, items[i]); return; }
      }
      var firstPending = ui.list.querySelector("li.sc-pending");
      if (firstPending) { ui.list.insertBefore(li, firstPending); return; }
    }
    ui.list.appendChild(li);
  }
  function time(iso) {
    try { return new Date(iso).toLocaleTimeString(cfg.locale, { hour: "2-digit", minute: "2-digit" }); }
    catch (e) { return ""; }
  }
  function failed(clientId, detail, canRetry) {
    var li = byClient[clientId];
    if (!li || li.dataset.id) return;
    var meta = li.querySelector(".sc-meta");
    meta.textContent = S.failed + (detail ? " · " + detail : "");
    li.classList.add("sc-failed");
    if (!canRetry) dropFromOutbox(clientId);
  }
  function dropFromOutbox(clientId) {
    state.outbox = state.outbox.filter(function (o) { return o.client_id !== clientId; });
    persist();
  }
  function badge() {
    ui.badge.hidden = unread === 0;
    ui.badge.textContent = unread > 9 ? "9+" : String(unread);
  }
  function notice(text) { ui.notice.textContent = text || ""; }
  function setStatus() {
    if (!ui.status) return;
    ui.status.textContent = ready ? (cfg.agents_online ? S.online : S.offline) : (state.token || opened ? S.reconnecting : "");
  }

  // --- sending ---------------------------------------------------------------------------
  function submit() {
    var text = ui.text.value.trim();
    if (!text) return;
    if (text.length > cfg.max_chars) { notice(S.too_long); return; }
    ui.text.value = "";
    var item = { client_id: uid(), text: text };
    state.outbox.push(item);
    persist();
    render({ client_id: item.client_id, from: "visitor", text: text });
    askedAfterReading();
    flush();
  }
  function flush() {
    if (!ready) { connect(); return; }
    state.outbox.forEach(function (item) {
      send_({ type: "message", client_id: item.client_id, text: item.text });
    });
  }
  function send_(obj) {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(obj));
  }
  function uploadFile(file) {
    if (file.size > cfg.upload.max_bytes) { notice(S.too_large); return; }
    if (cfg.upload.types.indexOf(file.type) < 0) { notice(S.bad_type); return; }
    if (!state.token) { connect(); notice(S.reconnecting); return; }
    var clientId = uid();
    render({ client_id: clientId, from: "visitor", text: file.name });
    var body = new FormData();
    body.append("token", state.token);
    body.append("client_id", clientId);
    body.append("file", file);
    fetch(BASE + "/chat/" + encodeURIComponent(KEY) + "/upload", { method: "POST", body: body })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (res) {
        if (res.ok) {
          byClient[clientId].remove();
          delete byClient[clientId];
          render(res.body.message);
        } else { failed(clientId, res.body.detail, false); }
      })
      .catch(function () { failed(clientId, "", false); });
  }
  function askTranscript() {
    var go = function () { send_({ type: "transcript", email: visitor.email }); };
    if (visitor.email) { go(); return; }
    showDetails(S.transcript, "email-only", S.send, go);
  }
  function markRead() {
    if (!opened || document.hidden || !ready) return;
    var last = 0;
    Object.keys(shown).forEach(function (id) {
      if (shown[id].classList.contains("sc-agent")) last = Math.max(last, Number(id));
    });
    if (last) send_({ type: "read", up_to: last });
    unread = 0;
    badge();
  }

  // --- the socket --------------------------------------------------------------------------
  function connect() {
    if (socket && socket.readyState <= 1) return;
    ready = false;
    socket = new WebSocket(WS);
    socket.onopen = function () {
      retry = 0;
      socket.send(JSON.stringify({
        type: "hello",
        token: state.token,
        identity: identity,
        after: state.lastId,
        context: {
          page: location.href, referrer: document.referrer, browser: navigator.userAgent,
          locale: navigator.language, title: document.title,
          time_zone: (Intl.DateTimeFormat().resolvedOptions() || {}).timeZone || ""
        }
      }));
    };
    socket.onmessage = function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      onEvent(data);
    };
    socket.onclose = function (e) {
      ready = false;
      setStatus();
      if (e.code === 4403 || e.code === 4404) return;  // not allowed here: stay quiet
      // Exponential backoff with jitter; the outbox is resent after the next hello.
      var delay = Math.min(30000, 500 * Math.pow(2, retry++)) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }
  function onEvent(data) {
    switch (data.type) {
      case "welcome":
        if (data.token) { state.token = data.token; persist(); }
        if (data.full) clearShown();  // a new session (another user signed in): start over
        ready = true;
        cfg.agents_online = data.agents_online;
        visitor.name = data.visitor.name || visitor.name;
        visitor.email = data.visitor.email || visitor.email;
        data.messages.forEach(render);
        setStatus();
        notice("");
        state.outbox.forEach(function (item) {  // still unacknowledged: show and resend
          render({ client_id: item.client_id, from: "visitor", text: item.text });
        });
        flush();
        maybeAskDetails();
        markRead();
        break;
      case "ack":
        dropFromOutbox(data.client_id);
        render(data.message);
        break;
      case "message":
        render(data.message);
        if (data.message.from === "agent") { ui.typing.textContent = ""; markRead(); }
        break;
      case "agent":
        if (data.state === "typing") {
          ui.typing.textContent = fmt(S.typing, { name: data.name });
          clearTimeout(typingTimer);
          typingTimer = setTimeout(function () { ui.typing.textContent = ""; }, 6000);
        } else if (data.state === "viewing") {
          var mine = ui.list.querySelectorAll("li.sc-visitor[data-id] .sc-meta");
          if (mine.length) mine[mine.length - 1].textContent = S.seen;
        }
        break;
      case "pong":
        if (typeof data.agents_online === "boolean") { cfg.agents_online = data.agents_online; setStatus(); }
        break;
      case "transcript_sent":
        notice(S.transcript_sent);
        break;
      case "error":
        if (data.client_id) {
          var retryable = data.code === "rate" || data.code === "retry";
          failed(data.client_id, data.detail, retryable);
          if (retryable) setTimeout(flush, 5000);
        } else { notice(data.detail); }
        break;
    }
  }
  function clearShown() {
    Object.keys(shown).forEach(function (id) { shown[id].remove(); });
    Object.keys(byClient).forEach(function (c) { if (byClient[c].dataset.id) delete byClient[c]; });
    shown = {};
    messagesCount = 0;
  }
  function maybeAskDetails() {
    if (messagesCount > 0 || !opened || !ui.details.hidden) return;
    if (!cfg.agents_online) {
      if (!visitor.email) showDetails(S.offline, "email", S.leave, function () { notice(S.left); });
      return;
    }
    if (cfg.prechat !== "off" && !visitor.name) {
      showDetails(S.prechat, cfg.prechat === "required" ? "email" : "", S.start, function () {});
    }
  }
  function toggle(open) {
    var was = opened;
    opened = open;
    ui.panel.hidden = !open;
    // While the panel is open the launcher is hidden: on a phone it would cover Send.
    ui.launcher.hidden = open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      connect();
      maybeAskDetails();
      markRead();
      setTimeout(function () {  // into the panel: its form if it asks first, else the message box
        var field = ui.details.hidden ? null : ui.details.querySelector("input, textarea, button");
        (field || ui.text).focus();
      }, 0);
    } else if (was) {
      ui.launcher.focus();
    }
    setStatus();
  }

  // --- start ---------------------------------------------------------------------------------
  var locale = (navigator.language || "en");
  fetch(BASE + "/chat/" + encodeURIComponent(KEY) + "/config?locale=" + encodeURIComponent(locale))
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (json) {
      cfg = json;
      S = json.strings;
      build();
      if (state.token || state.outbox.length) connect();  // a returning visitor: show the history
      setInterval(function () { send_({ type: "ping" }); }, 25000);
    })
    .catch(function () { /* the chat is unavailable: the page goes on without it */ });

  window.SahayakChat = {
    loaded: true,
    open: function () { if (cfg) toggle(true); },
    close: function () { if (cfg) toggle(false); },
    identify: function (who) {
      identity = who;
      if (socket) socket.close();  // reconnect says hello with the identity
    }
  };
})();
