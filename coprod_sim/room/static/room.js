/* The join page: show the trainer's current question and send this device's answer.
   No libraries, no network beyond this server. Polls the question every 1.5 s. */
"use strict";
(function () {
  var questionUrl = document.body.getAttribute("data-question");
  var answerUrl = document.body.getAttribute("data-answer");
  var NAME_KEY = "coprod-room-name";
  var el = function (id) { return document.getElementById(id); };
  var form = el("answer"), status = el("status"), waiting = el("waiting");
  var slider = el("estimate"), output = el("estimate-value"), nameBox = el("name");
  var shown = { id: null, state: null }, current = null, offline = false;

  try { nameBox.value = window.localStorage.getItem(NAME_KEY) || ""; } catch (e) { /* private mode */ }

  function say(text, problem) {
    status.textContent = text;
    status.classList.toggle("problem", !!problem);
  }

  function showValue(v) {
    if (!current) { return ""; }
    var u = current.unit || "";
    if (u === "%") { return v + "%"; }
    if (u === "week") { return "week " + v; }
    return u ? v + " " + u : String(v);
  }

  function answerText(q, mine) {
    if (!mine) { return null; }
    return q.kind === "choice" ? mine.choice : showValue(mine.value);
  }

  function build(q) {
    var choiceBox = el("choice-box"), estimateBox = el("estimate-box");
    if (q.kind === "choice") {
      el("choice-question").textContent = q.text;
      var box = el("choices");
      box.textContent = "";
      q.options.forEach(function (opt, i) {
        var label = document.createElement("label");
        label.className = "option";
        var input = document.createElement("input");
        input.type = "radio"; input.name = "choice"; input.value = opt; input.id = "opt-" + i;
        var span = document.createElement("span");
        span.textContent = opt;
        label.appendChild(input); label.appendChild(span);
        box.appendChild(label);
      });
      choiceBox.hidden = false; estimateBox.hidden = true;
    } else {
      el("estimate-question").textContent = q.text;
      slider.min = q.low; slider.max = q.high; slider.step = q.step || 1;
      var mid = q.low + Math.round((q.high - q.low) / 2 / (q.step || 1)) * (q.step || 1);
      slider.value = mid;
      el("low").textContent = showValue(q.low);
      el("high").textContent = showValue(q.high);
      output.textContent = showValue(slider.value);
      slider.setAttribute("aria-valuetext", showValue(slider.value));
      choiceBox.hidden = true; estimateBox.hidden = false;
    }
  }

  function setMine(q, mine) {
    if (!mine) { return; }
    if (q.kind === "choice") {
      var inputs = form.querySelectorAll("input[name=choice]");
      for (var i = 0; i < inputs.length; i++) { inputs[i].checked = inputs[i].value === mine.choice; }
    } else if (mine.value !== null && mine.value !== undefined) {
      slider.value = mine.value;
      output.textContent = showValue(slider.value);
      slider.setAttribute("aria-valuetext", showValue(slider.value));
    }
  }

  function setOpen(open) {
    var inputs = form.querySelectorAll("input, button");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i] !== nameBox) { inputs[i].disabled = !open; }
    }
  }

  function render(data) {
    var q = data.question;
    if (!q) {
      current = null; shown = { id: null, state: null };
      waiting.hidden = false; form.hidden = true; el("result").hidden = true;
      return;
    }
    waiting.hidden = true; form.hidden = false;
    var fresh = q.id !== shown.id;
    if (fresh) { current = q; build(q); setMine(q, data.mine); say(""); }
    if (fresh || q.state !== shown.state) {
      setOpen(q.state === "open");
      var mineText = answerText(q, data.mine);
      if (q.state === "open") {
        if (!fresh && shown.state !== null) { say("The trainer is taking answers again."); }
        if (mineText) { say("Your prediction: " + mineText + ". You can change it until the trainer closes the question."); }
      } else {
        say("Answers are closed" + (mineText ? ". Your prediction was: " + mineText + "." : ": this device did not send a prediction."));
      }
      var result = el("result");
      if (q.state === "revealed" && q.result) {
        el("result-answer").textContent = q.result.answer;
        el("result-summary").textContent = q.result.summary;
        el("result-room").textContent = q.result.room || "";
        var wasHidden = result.hidden;
        result.hidden = false;
        if (wasHidden && result.scrollIntoView) { result.scrollIntoView({ block: "nearest" }); }
      } else {
        result.hidden = true;
      }
    }
    shown = { id: q.id, state: q.state };
  }

  function poll() {
    fetch(questionUrl, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 403) {
          return { ok: false, data: { error: "This room has ended or its address has changed: scan the trainer's code again." } };
        }
        return r.json().then(function (d) { return { ok: r.ok, data: d }; });
      })
      .then(function (res) {
        if (!res.ok) { say(res.data.error || "The room could not be reached.", true); return; }
        if (offline) { offline = false; say(""); shown = { id: shown.id, state: null }; }
        render(res.data);
      })
      .catch(function () {
        offline = true;
        say("Cannot reach the trainer's computer. Check you are on the room's network; this page keeps trying.", true);
      })
      .then(function () { window.setTimeout(poll, document.hidden ? 4000 : 1500); });
  }

  function nudge(sign) {
    var step = Number(slider.step) || 1;
    var v = Math.min(Number(slider.max), Math.max(Number(slider.min), Number(slider.value) + sign * step));
    slider.value = v;
    output.textContent = showValue(slider.value);
    slider.setAttribute("aria-valuetext", showValue(slider.value));
  }

  slider.addEventListener("input", function () {
    output.textContent = showValue(slider.value);
    slider.setAttribute("aria-valuetext", showValue(slider.value));
  });
  el("less").addEventListener("click", function () { nudge(-1); });
  el("more").addEventListener("click", function () { nudge(1); });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!current) { return; }
    var body = { question: current.id, name: nameBox.value.trim() };
    if (current.kind === "choice") {
      var picked = form.querySelector("input[name=choice]:checked");
      if (!picked) { say("Choose one answer first, then press Send.", true); return; }
      body.choice = picked.value;
    } else {
      body.value = Number(slider.value);
    }
    try { window.localStorage.setItem(NAME_KEY, body.name); } catch (e) { /* private mode */ }
    var sent = current.kind === "choice" ? body.choice : showValue(body.value);
    el("send").disabled = true;
    fetch(answerUrl, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    })
      .then(function (r) {
        if (r.status === 403 && (r.headers.get("Content-Type") || "").indexOf("json") < 0) {
          return { ok: false, status: 403, data: { error: "This room has ended or its address has changed: scan the trainer's code again." } };
        }
        return r.json().then(function (d) { return { ok: r.ok, status: r.status, data: d }; });
      })
      .then(function (res) {
        if (res.ok) {
          say("Sent: " + sent + ". You can change it until the trainer closes the question.");
        } else {
          say(res.data.error || "Your prediction was not sent; please try again.", true);
          if (res.status === 409) { shown.state = null; }
        }
      })
      .catch(function () { say("Your prediction was not sent: the trainer's computer cannot be reached. Try again.", true); })
      .then(function () { if (shown.state === "open" || shown.state === null) { el("send").disabled = false; } });
  });

  poll();
}());
