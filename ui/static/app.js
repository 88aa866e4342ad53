// Kakehashi chat, the page script:
// - the page is shown once it has its language (until then nothing can be sent);
// - [n] markers open their cited passage: beside the chat, or on a phone in a sheet over it,
//   with a way back to the answer, so that the reader never leaves it;
// - one question is answered at a time: one asked meanwhile waits in a queue the founder sees,
//   and is sent when the answer before it is done;
// - copying an answer with its sources; remembering the interface language.
(() => {
  const TEXT = window.KAKEHASHI_TEXT || {};
  const say = (key) => {
    const words = TEXT[key] || {};
    return words[document.documentElement.lang] || words.en || "";
  };
  const PHONE = window.matchMedia("(max-width: 760px)");

  // -- ready -----------------------------------------------------------------------------
  let ready = false;
  window.kakehashiReady = (code) => {
    if (code) document.documentElement.lang = code;
    ready = true;
    document.body.classList.add("kk-ready");
    const box = questionBox();
    if (box && !PHONE.matches) box.focus({ preventScroll: true });
  };

  // -- citations --------------------------------------------------------------------------
  const openInPanel = (target, scroll) => {
    for (let node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
    if (!scroll) return;
    target.scrollIntoView({ block: "nearest", behavior: "smooth" });
    target.classList.remove("kk-flash");
    void target.offsetWidth; // restart the flash animation
    target.classList.add("kk-flash");
  };

  let sheet = null; // {layer, marker} while a passage is open over the chat
  const closeSheet = () => {
    if (!sheet) return;
    const { layer, marker } = sheet;
    sheet = null;
    layer.remove();
    document.body.classList.remove("kk-sheet-open");
    if (marker && marker.isConnected) marker.focus({ preventScroll: true });
  };

  // The card as the sources panel has it (escaped by the server), copied node by node: its
  // summary (number, title, where) heads the sheet and stays, the passages scroll beneath.
  const openSheet = (target, marker) => {
    closeSheet();
    const copy = target.cloneNode(true);
    for (const inner of copy.querySelectorAll("[id]")) inner.removeAttribute("id");
    const heading = document.createElement("div");
    heading.className = "kk-sheet-heading";
    const card = document.createElement("div");
    card.className = "kk-sheet-card";
    for (const child of Array.from(copy.childNodes)) {
      if (child.nodeName === "SUMMARY") heading.append(...Array.from(child.childNodes));
      else card.appendChild(child);
    }

    const back = document.createElement("button");
    back.type = "button";
    back.className = "kk-sheet-back";
    back.textContent = say("back_to_answer");
    back.addEventListener("click", closeSheet);
    const body = document.createElement("div");
    body.className = "kk-sheet-body";
    body.appendChild(card);
    const panel = document.createElement("div");
    panel.className = "kk-sheet";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-modal", "true");
    const title = heading.querySelector(".kk-title");
    if (title) panel.setAttribute("aria-label", title.textContent);
    panel.append(back, heading, body);
    const shade = document.createElement("div");
    shade.className = "kk-sheet-shade";
    shade.addEventListener("click", closeSheet);
    const layer = document.createElement("div");
    layer.className = "kk-sheet-layer";
    layer.append(shade, panel);
    document.body.appendChild(layer);
    document.body.classList.add("kk-sheet-open");
    sheet = { layer, marker };
    back.focus({ preventScroll: true });
    const mark = body.querySelector("mark");
    if (mark) {
      const offset = mark.getBoundingClientRect().top - body.getBoundingClientRect().top;
      body.scrollTop = Math.max(0, offset - body.clientHeight / 3);
    }
  };

  const openCitation = (marker) => {
    const target = document.getElementById((marker.getAttribute("href") || "").slice(1));
    if (!target) return;
    if (PHONE.matches) {
      openInPanel(target, false); // the panel agrees with the sheet when the reader gets there
      openSheet(target, marker);
    } else {
      openInPanel(target, true);
    }
  };

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && sheet) closeSheet();
  });

  // -- one question at a time -------------------------------------------------------------
  let busy = false;
  const waiting = [];
  const questionBox = () => document.querySelector("#kk-question textarea");
  const setValue = (area, value) => {
    area.value = value;
    area.dispatchEvent(new Event("input", { bubbles: true }));
  };

  // Into a node of its own inside the (empty) HTML block Gradio renders, never Gradio's nodes.
  const waitingHost = () => {
    const block = document.getElementById("kk-queue");
    if (!block) return null;
    let host = block.querySelector(".kk-waiting-host");
    if (!host) {
      host = document.createElement("div");
      host.className = "kk-waiting-host";
      block.appendChild(host);
    }
    return host;
  };

  const showWaiting = () => {
    const host = waitingHost();
    if (!host) return;
    host.replaceChildren();
    if (!waiting.length) return;
    const note = document.createElement("div");
    note.className = "kk-waiting";
    note.setAttribute("role", "status");
    const label = document.createElement("div");
    label.className = "kk-waiting-label";
    label.textContent = say("queued");
    note.appendChild(label);
    waiting.forEach((question, index) => {
      const item = document.createElement("div");
      item.className = "kk-waiting-question";
      const words = document.createElement("span");
      words.textContent = question;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "kk-waiting-remove";
      remove.textContent = "×";
      remove.setAttribute("aria-label", say("queued_cancel"));
      remove.addEventListener("click", () => {
        waiting.splice(index, 1);
        showWaiting();
      });
      item.append(words, remove);
      note.appendChild(item);
    });
    host.appendChild(note);
  };

  const wait = (question) => {
    if (!question.trim()) return;
    waiting.push(question);
    showWaiting();
  };

  // The next waiting question goes through a hidden box and button of its own, so that what
  // the founder is typing meanwhile stays in the question box.
  const sendNext = () => {
    if (busy || !waiting.length) return;
    const area = document.querySelector("#kk-waiting textarea, #kk-waiting input");
    const button = document.querySelector("#kk-ask-waiting");
    if (!area || !button) return;
    const question = waiting.shift();
    showWaiting();
    busy = true;
    setValue(area, question);
    requestAnimationFrame(() => button.click());
  };

  window.kakehashiBusy = () => busy;
  window.kakehashiAnswered = () => {
    const body = document.body;
    body.dataset.kkAnswered = String(Number(body.dataset.kkAnswered || 0) + 1);
    busy = false;
    sendNext();
  };

  // Capture phase: these run before Gradio's own handlers, which they may stop.
  document.addEventListener(
    "keydown",
    (event) => {
      const area = questionBox();
      if (event.target !== area || event.key !== "Enter" || event.shiftKey) return;
      if (event.isComposing || event.keyCode === 229) return; // an IME is choosing characters
      if (ready && !busy) {
        busy = true;
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      if (ready) {
        wait(area.value);
        setValue(area, "");
      }
    },
    true,
  );

  document.addEventListener(
    "click",
    (event) => {
      const target = event.target instanceof Element ? event.target : null;
      if (!target) return;
      const marker = target.closest("a.kk-marker");
      if (marker) {
        event.preventDefault(); // before the chat's own link handling opens a tab
        event.stopPropagation();
        openCitation(marker);
        return;
      }
      const send = target.closest("#kk-send");
      const example = target.closest(".kk-example");
      if (!send && !example) return;
      if (ready && !busy) {
        busy = true;
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      if (!ready) return;
      if (example) {
        wait(example.textContent.trim());
      } else {
        const area = questionBox();
        wait(area.value);
        setValue(area, "");
      }
    },
    true,
  );

  // -- copying -----------------------------------------------------------------------------
  const toast = (message) => {
    const note = document.createElement("div");
    note.className = "kk-toast";
    note.setAttribute("role", "status");
    note.textContent = message;
    document.body.appendChild(note);
    setTimeout(() => note.remove(), 2000);
  };

  window.kakehashiCopy = async (text) => {
    if (!text) return;
    try {
      await navigator.clipboard.writeText(text);
    } catch (error) {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    toast(say("copied") || "Copied");
  };

  // -- the interface language -----------------------------------------------------------------
  window.kakehashiPreferredLanguage = () => {
    try {
      const saved = window.localStorage.getItem("kakehashi.language");
      if (saved) return saved;
    } catch (error) {
      // storage disabled: fall back to the browser's languages
    }
    const languages = navigator.languages && navigator.languages.length
      ? navigator.languages
      : [navigator.language || "en"];
    return languages.join(",");
  };

  window.kakehashiRememberLanguage = (language) => {
    document.documentElement.lang = language;
    showWaiting(); // its words follow the language
    try {
      window.localStorage.setItem("kakehashi.language", language);
    } catch (error) {
      // storage disabled: the choice lasts for this page only
    }
  };

  // The selected rating button says so to a screen reader too.
  new MutationObserver(() => {
    for (const button of document.querySelectorAll("button.kk-rate")) {
      button.setAttribute("aria-pressed", String(button.classList.contains("kk-selected")));
    }
  }).observe(document.documentElement, {
    subtree: true,
    attributes: true,
    attributeFilter: ["class"],
  });
})();
