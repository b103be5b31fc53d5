// The mediation thread on the mediator's page: follow it live (server-sent events) and
// post without reloading. Without JavaScript the form still posts and the page reloads.
(function () {
  "use strict";
  const list = document.getElementById("thread");
  if (!list || !list.dataset.events) { return; }
  const shown = new Set();

  function show(message) {
    if (shown.has(message.id)) { return; }
    shown.add(message.id);
    const item = document.createElement("li");
    item.dataset.id = String(message.id);
    item.className = message.mine ? "mine" : (message.author === "系统" ? "system" : "theirs");
    const who = document.createElement("strong");
    who.textContent = message.author + "：";
    const text = document.createElement("span");
    text.textContent = message.body;
    item.append(who, text);
    if (message.attachment) {
      const link = document.createElement("a");
      link.href = location.pathname.replace(/\/$/, "") + "/attachments/" + message.attachment.id;
      link.textContent = " 📎 " + message.attachment.name;
      item.append(link);
    }
    list.append(item);
  }

  const events = new EventSource(list.dataset.events);
  events.onmessage = function (event) { show(JSON.parse(event.data)); };

  const form = document.getElementById("thread-form");
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const body = new FormData(form);
      fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(body),
        headers: { "Accept": "application/json" },
        credentials: "same-origin",
      }).then(function (reply) {
        if (reply.ok) { form.querySelector("textarea").value = ""; }
      });
    });
  }
})();
