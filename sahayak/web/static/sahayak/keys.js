/* Sahayak keyboard shortcuts (listed in the "?" overlay) and the light/dark theme switch. */
(function () {
  "use strict";
  var LIST_KEY = "sahayak-list";  // the conversations of the inbox page last shown, in order

  // --- theme: as the system, dark or light; kept in this browser ---------------------------
  var themeButton = document.getElementById("theme-toggle");
  function currentTheme() { return document.documentElement.dataset.theme || "auto"; }
  function showTheme() {
    if (!themeButton) return;
    var label = themeButton.dataset[currentTheme()];
    themeButton.title = label;
    document.getElementById("theme-label").textContent = label;
    themeButton.setAttribute("aria-pressed", currentTheme() === "auto" ? "false" : "true");
  }
  if (themeButton) {
    themeButton.addEventListener("click", function () {
      var next = { auto: "dark", dark: "light", light: "auto" }[currentTheme()];
      if (next === "auto") delete document.documentElement.dataset.theme;
      else document.documentElement.dataset.theme = next;
      try {
        if (next === "auto") localStorage.removeItem("sahayak-theme");
        else localStorage.setItem("sahayak-theme", next);
      } catch (e) { /* storage off: this page only */ }
      showTheme();
    });
    showTheme();
  }

  // --- the shortcuts overlay --------------------------------------------------------------
  var help = document.getElementById("shortcuts");
  function openHelp() {
    if (help && !help.open) help.showModal();
  }
  var helpButton = document.getElementById("shortcuts-open");
  if (helpButton) helpButton.addEventListener("click", openHelp);

  // --- the inbox list: a chosen row moved with j/k ----------------------------------------
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#inbox-list tbody tr[id^=row-]"));
  }
  function rememberList() {
    var ids = rows().map(function (tr) { return Number(tr.id.slice(4)); });
    if (!ids.length) return;
    try {
      sessionStorage.setItem(LIST_KEY, JSON.stringify({ ids: ids, back: location.pathname + location.search }));
    } catch (e) { /* no storage: j/k work on the inbox page only */ }
  }
  function chosenRow() { return document.querySelector("#inbox-list tr.chosen"); }
  function choose(step) {
    var all = rows();
    if (!all.length) return;
    var at = all.indexOf(chosenRow());
    var next = all[at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step))];
    all.forEach(function (tr) { tr.classList.remove("chosen"); tr.removeAttribute("aria-selected"); });
    next.classList.add("chosen");
    next.setAttribute("aria-selected", "true");
    var link = next.querySelector(".what a");
    if (link) link.focus();
  }
  if (document.getElementById("inbox-list")) {
    rememberList();
    // The list is redrawn live: remember the new order.
    var holder = document.getElementById("inbox-list").parentNode;
    new MutationObserver(rememberList).observe(holder, { childList: true });
  }

  // --- on a conversation: its neighbours in that list -------------------------------------
  var conv = document.getElementById("conversation");
  function neighbour(step) {
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(LIST_KEY) || "null"); } catch (e) { saved = null; }
    if (!saved || !conv) return null;
    var at = saved.ids.indexOf(Number(conv.dataset.id));
    if (at < 0) return null;
    var id = saved.ids[at + step];
    return id ? "/c/" + id + "/" : null;
  }

  function assignToMe() {
    var form = document.querySelector("#side .props-form");
    var select = form && form.querySelector("select[name=assignee]");
    var me = document.body.dataset.userId;
    if (!select || select.value === me) return;
    select.value = me;
    select.dispatchEvent(new Event("change", { bubbles: true }));  // the form saves on change
    var claim = document.getElementById("claim");
    if (claim) claim.closest("label").hidden = true;
  }
  function focusReply(mode) {
    var box = document.getElementById("reply-text");
    var form = document.getElementById("reply-form");
    if (!box) return;
    form.dataset.mode = mode;
    form.classList.toggle("note-mode", mode === "note");
    box.focus();
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  var pendingG = 0;
  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.altKey) return;
    var form = document.getElementById("reply-form");
    // Ctrl/Cmd+Enter anywhere in the reply box sends it as what it was opened for.
    if (form && form.contains(e.target) && e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      var which = form.dataset.mode === "note" ? "note" : "reply";
      var button = form.querySelector("button[value=" + which + "]") || form.querySelector("button[value=note]");
      if (button) button.click();
      return;
    }
    // Escape leaves a text box or list, so that the next key is a shortcut again.
    if (e.key === "Escape" && typing(e.target) && !(help && help.open)) {
      e.target.blur();
      return;
    }
    if (e.ctrlKey || e.metaKey || typing(e.target)) return;
    if (help && help.open) return;
    var key = e.key;
    if (pendingG && Date.now() - pendingG < 1200) {
      pendingG = 0;
      if (key === "i") { e.preventDefault(); location.href = "/"; }
      return;
    }
    if (key === "g") { pendingG = Date.now(); return; }
    if (key === "c") { e.preventDefault(); location.href = "/c/new/"; return; }
    if (key === "?") { e.preventDefault(); openHelp(); return; }
    if (key === "/") {
      var search = document.getElementById("top-q");
      if (search) { e.preventDefault(); search.focus(); search.select(); }
      return;
    }
    if (document.getElementById("inbox-list")) {
      if (key === "j" || key === "k") { e.preventDefault(); choose(key === "j" ? 1 : -1); }
      else if ((key === "o" || key === "Enter") && chosenRow()) {
        if (key === "o" || !e.target.closest || !e.target.closest("a")) {
          e.preventDefault();
          chosenRow().querySelector(".what a").click();
        }
      } else if (key === "x" && chosenRow()) {
        e.preventDefault();
        var box = chosenRow().querySelector("input[name=ids]");
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
      }
      return;
    }
    if (!conv) return;
    if (key === "j" || key === "k") {
      var url = neighbour(key === "j" ? 1 : -1);
      if (url) { e.preventDefault(); location.href = url; }
    } else if (key === "r") { e.preventDefault(); focusReply("reply"); }
    else if (key === "n") { e.preventDefault(); focusReply("note"); }
    else if (key === "a") { e.preventDefault(); assignToMe(); }
    else if (key === "s") {
      var status = document.querySelector("#side select[name=status]");
      if (status) { e.preventDefault(); status.focus(); }
    }
  });
  // The reply box opened with "n" goes back to replying once the note is sent.
  document.body.addEventListener("sahayak:timeline", function () {
    var form = document.getElementById("reply-form");
    if (form) { form.dataset.mode = "reply"; form.classList.remove("note-mode"); }
    // Sent: the keys are shortcuts again (j for the next conversation).
    if (form && form.contains(document.activeElement)) document.activeElement.blur();
  });
})();
