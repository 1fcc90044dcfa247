/* Sahayak reply box: files (chosen, dropped or pasted), a draft kept per conversation in this
   browser, formatting buttons, emoji; and the pickers and bulk bar of other pages. */
(function () {
  "use strict";

  // --- files ----------------------------------------------------------------------------
  var form = document.getElementById("reply-form");
  var box = document.getElementById("reply-text");
  var input = document.getElementById("reply-files");
  var list = document.getElementById("reply-file-list");
  var refused = document.getElementById("files-refused");
  var channel = form ? form.querySelector("select[name=channel]") : null;

  function fileItems() { return input ? Array.prototype.slice.call(input.files) : []; }
  function setFiles(files) {
    var data = new DataTransfer();
    files.forEach(function (f) { data.items.add(f); });
    input.files = data.files;
    showFiles();
  }
  function addFiles(more) {
    var names = {};
    var all = fileItems().concat(Array.prototype.slice.call(more)).filter(function (f) {
      var key = f.name + ":" + f.size;
      if (names[key]) return false;
      names[key] = true;
      return true;
    });
    setFiles(all);
  }
  function checkChannel() {
    if (!refused) return;
    var allowed = (refused.dataset.files || "").split(" ").filter(Boolean);
    var current = channel ? channel.value : "";
    refused.hidden = !fileItems().length || !current || allowed.indexOf(current) >= 0;
  }
  function showFiles() {
    if (!list) return;
    list.textContent = "";
    fileItems().forEach(function (f, index) {
      var li = document.createElement("li");
      li.appendChild(document.createTextNode(f.name + " "));
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.textContent = "×";
      remove.setAttribute("aria-label", (document.body.dataset.i18nRemove || "Remove") + " " + f.name);
      remove.addEventListener("click", function () {
        setFiles(fileItems().filter(function (_, i) { return i !== index; }));
        box.focus();
      });
      li.appendChild(remove);
      list.appendChild(li);
    });
    checkChannel();
  }
  if (form && input) {
    input.addEventListener("change", showFiles);
    if (channel) channel.addEventListener("change", checkChannel);
    form.addEventListener("dragover", function (e) {
      if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") >= 0) {
        e.preventDefault();
        form.classList.add("dropping");
      }
    });
    form.addEventListener("dragleave", function () { form.classList.remove("dropping"); });
    form.addEventListener("drop", function (e) {
      form.classList.remove("dropping");
      if (e.dataTransfer && e.dataTransfer.files.length) {
        e.preventDefault();
        addFiles(e.dataTransfer.files);
      }
    });
    box.addEventListener("paste", function (e) {
      var files = e.clipboardData ? e.clipboardData.files : null;
      if (files && files.length) {
        e.preventDefault();
        addFiles(files);
      }
    });
    form.addEventListener("reset", function () { setTimeout(showFiles, 0); });
  }

  // --- the draft ------------------------------------------------------------------------
  // Kept in this browser's storage under the agent and the conversation: nobody else sees
  // it, a reload or a crash does not lose it, sending clears it.
  if (form && box && form.dataset.draftKey) {
    var key = form.dataset.draftKey, state = document.getElementById("draft-state"), timer = null;
    var saved = null;
    try { saved = localStorage.getItem(key); } catch (e) { /* storage off */ }
    if (saved && !box.value) box.value = saved;
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        try {
          if (box.value.trim()) localStorage.setItem(key, box.value); else localStorage.removeItem(key);
          if (state) state.textContent = box.value.trim() ? state.dataset.saved : "";
        } catch (e) { /* storage full or off: the draft lives as long as the page */ }
      }, 400);
    });
    document.body.addEventListener("sahayak:timeline", function () {
      clearTimeout(timer);
      try { localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
      if (state) state.textContent = "";
    });
  }

  // --- formatting and emoji -------------------------------------------------------------
  // Markdown marks: rendered as formatting on channels that have it (email), and taken out
  // on the others, by the server.
  function wrap(before, after, placeholder) {
    var start = box.selectionStart, end = box.selectionEnd;
    var chosen = box.value.slice(start, end) || placeholder || "";
    box.setRangeText(before + chosen + after, start, end, "end");
    if (!box.value.slice(start, end) && placeholder) {
      box.selectionStart = start + before.length;
      box.selectionEnd = start + before.length + chosen.length;
    }
    box.focus();
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }
  function listLines() {
    var start = box.value.lastIndexOf("\n", box.selectionStart - 1) + 1;
    var end = box.selectionEnd;
    var lines = box.value.slice(start, end).split("\n").map(function (line) {
      return /^- /.test(line) ? line : "- " + line;
    });
    box.setRangeText(lines.join("\n"), start, end, "end");
    box.focus();
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-format]");
    if (!button || !box) return;
    var kind = button.dataset.format;
    if (kind === "bold") wrap("**", "**", button.dataset.placeholder);
    else if (kind === "list") listLines();
    else if (kind === "link") {
      var url = window.prompt(button.dataset.ask || "URL", "https://");
      if (url && /^(https?:|mailto:)/i.test(url.trim())) wrap("[", "](" + url.trim() + ")", button.dataset.placeholder);
    } else if (kind === "emoji") {
      var panel = document.getElementById("emoji-panel");
      panel.hidden = !panel.hidden;
      if (!panel.hidden) panel.querySelector("button").focus();
    }
  });
  var emoji = document.getElementById("emoji-panel");
  if (emoji && box) {
    emoji.addEventListener("click", function (e) {
      var b = e.target.closest("button[data-emoji]");
      if (!b) return;
      box.setRangeText(b.dataset.emoji, box.selectionStart, box.selectionEnd, "end");
      emoji.hidden = true;
      box.focus();
      box.dispatchEvent(new Event("input", { bubbles: true }));
    });
    emoji.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { emoji.hidden = true; box.focus(); e.preventDefault(); e.stopPropagation(); }
    });
  }

  // --- time-zone fields: suggestions fetched once, in the viewer's language ---------------
  document.querySelectorAll("input[data-zones-url]").forEach(function (field) {
    var loaded = false;
    function load() {
      if (loaded) return;
      loaded = true;
      fetch(field.dataset.zonesUrl, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { zones: [] }; })
        .then(function (data) {
          var datalist = document.getElementById(field.getAttribute("list"));
          var fragment = document.createDocumentFragment();
          data.zones.forEach(function (z) {
            var option = document.createElement("option");
            option.value = z.id;
            option.label = z.label;
            option.textContent = z.label;
            fragment.appendChild(option);
          });
          datalist.appendChild(fragment);
        })
        .catch(function () { loaded = false; });
    }
    field.addEventListener("focus", load);
    field.addEventListener("input", load);
  });

  // --- bulk bar: says how many are selected, and what is missing before Apply -----------
  var bulk = document.getElementById("bulk-form");
  if (bulk) {
    var count = document.getElementById("bulk-count");
    var picked = function () { return bulk.querySelectorAll("input[name=ids]:checked").length; };
    var show = function () {
      var n = picked();
      count.textContent = n ? count.dataset.some.replace("{n}", String(n)) : "";
      count.classList.remove("error");
    };
    bulk.addEventListener("change", show);
    bulk.addEventListener("submit", function (e) {
      if (!picked()) {
        e.preventDefault();
        count.textContent = count.dataset.none;
        count.classList.add("error");
        count.setAttribute("role", "alert");
      }
    });
  }
})();

// After a reply that took the conversation, "Assign to me" has done its work.
document.body.addEventListener("sahayak:timeline", function () {
  var claim = document.getElementById("claim");
  if (claim && claim.checked) claim.closest("label").hidden = true;
});

// The profile's "Allow browser notifications": the browser asks only after a click.
(function () {
  var button = document.getElementById("allow-notifications");
  var state = document.getElementById("notification-permission");
  if (!button || !state || !window.Notification) return;
  function show() {
    var p = Notification.permission;
    button.hidden = p !== "default";
    state.textContent = p === "granted" ? state.dataset.granted : p === "denied" ? state.dataset.denied : "";
  }
  button.addEventListener("click", function () { Notification.requestPermission().then(show); });
  show();
})();

// Cc and Bcc are offered while the reply goes out by email.
(function () {
  var copies = document.getElementById("copies");
  var select = document.querySelector("#reply-form select[name=channel]");
  if (!copies || !select) return;
  function show() { copies.hidden = select.value !== copies.dataset.when; }
  select.addEventListener("change", show);
  show();
})();
