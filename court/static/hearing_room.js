// The hearing room in the judge's (or clerk's) browser: send the camera and microphone,
// receive the other participants in fixed slots, admit people from the waiting room,
// and see who is connected and how well. Signalling is one HTTP offer/answer; the server
// fills the slots as people are admitted, without renegotiating.
(function () {
  "use strict";
  const room = document.getElementById("room");
  if (!room) { return; }
  const slots = Number(room.dataset.slots);
  const csrf = room.dataset.csrf;
  const presiding = room.dataset.presiding === "yes";
  const status = document.getElementById("connection");
  const names = {presence: {invited: "未进入", waiting: "等候室", admitted: "在庭", removed: "已移出", left: "已离开"}};

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body || {}),
    });
  }

  function gathered(pc) {
    if (pc.iceGatheringState === "complete") { return Promise.resolve(); }
    return new Promise(function (resolve) {
      pc.addEventListener("icegatheringstatechange", function () {
        if (pc.iceGatheringState === "complete") { resolve(); }
      });
      setTimeout(resolve, 3000);
    });
  }

  async function connect() {
    const pc = new RTCPeerConnection({iceServers: [], bundlePolicy: "max-bundle"});
    const local = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}, audio: true});
    document.getElementById("self-view").srcObject = local;
    local.getVideoTracks().forEach(function (t) { pc.addTransceiver(t, {direction: "sendonly"}); });
    local.getAudioTracks().forEach(function (t) { pc.addTransceiver(t, {direction: "sendonly"}); });
    const own = pc.getTransceivers().length;
    const streams = [];
    for (let i = 0; i < slots; i++) {
      pc.addTransceiver("video", {direction: "recvonly"});
      pc.addTransceiver("audio", {direction: "recvonly"});
      streams.push(new MediaStream());
    }
    pc.ontrack = function (event) {
      const index = pc.getTransceivers().indexOf(event.transceiver) - own;
      if (index < 0) { return; }
      const slot = Math.floor(index / 2);
      streams[slot].addTrack(event.track);
      document.querySelector("#slot-" + slot + " video").srcObject = streams[slot];
    };
    pc.onconnectionstatechange = function () { status.textContent = "连接状态：" + pc.connectionState; };
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const reply = await post(room.dataset.media, {sdp: pc.localDescription.sdp});
    if (!reply.ok) { status.textContent = "无法进入庭审（" + reply.status + "）"; return; }
    const answer = await reply.json();
    await pc.setRemoteDescription({type: "answer", sdp: answer.sdp});
    window.hearingPeer = pc;
  }

  function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }

  function button(label, person, action) {
    const b = document.createElement("button");
    b.textContent = label;
    b.className = "presence-" + action;
    b.dataset.participant = person.id;
    b.addEventListener("click", function () {
      post(room.dataset.presence.replace("PID", person.id).replace("ACTION", action)).then(refresh);
    });
    return b;
  }

  async function refresh() {
    const reply = await fetch(room.dataset.state, {credentials: "same-origin", headers: {"Accept": "application/json"}});
    if (!reply.ok) { return; }
    const state = await reply.json();
    document.getElementById("state").textContent = state.state_name;
    const presence = document.getElementById("presence");
    if (presence && state.presence) {
      presence.dataset.presence = state.presence;
      presence.textContent = {waiting: "请在等候室等待法官准许进入。", admitted: "您已进入法庭。",
        removed: "您已被移出庭审。", left: "您已离开。"}[state.presence] || "正在进入…";
    }
    const body = document.getElementById("people");
    body.replaceChildren();
    state.participants.forEach(function (person) {
      const row = document.createElement("tr");
      row.dataset.participant = person.id;
      row.dataset.presence = person.presence;
      row.append(cell(person.role), cell(person.name), cell(names.presence[person.presence] || person.presence),
        cell(person.connection || "—"),
        cell(person.video_fps === null ? "—" : person.video_fps + " fps / " + person.video_kbps + " kbps"));
      const actions = document.createElement("td");
      if (presiding && person.presence === "waiting") { actions.append(button("准许进入", person, "admit")); }
      if (presiding && person.presence === "admitted" && person.role !== "审判员") {
        actions.append(button(person.muted ? "取消静音" : "静音", person, person.muted ? "unmute" : "mute"));
        actions.append(button("移出", person, "remove"));
      }
      row.append(actions);
      body.append(row);
    });
    state.slots.forEach(function (slot) {
      const figure = document.getElementById("slot-" + slot.index);
      if (!figure) { return; }
      figure.hidden = !slot.participant_id;
      figure.dataset.participant = slot.participant_id || "";
      figure.querySelector("figcaption").textContent = slot.name ? slot.role + " " + slot.name : "";
    });
  }

  connect().catch(function (error) { status.textContent = "无法开启摄像头或连接：" + error; });
  refresh();
  setInterval(refresh, 1000);
})();
