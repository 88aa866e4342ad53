// Kakehashi chat: [n] markers open their cited passage; copying an answer with its sources.
(() => {
  const openCitation = (id) => {
    const target = document.getElementById(id);
    if (!target) return false;
    for (let node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
    target.scrollIntoView({ block: "nearest", behavior: "smooth" });
    target.classList.remove("kk-flash");
    void target.offsetWidth; // restart the flash animation
    target.classList.add("kk-flash");
    return true;
  };

  // Capture phase: the marker is handled before the chat's own link handling opens a tab.
  document.addEventListener(
    "click",
    (event) => {
      const marker = event.target instanceof Element ? event.target.closest("a.kk-marker") : null;
      if (!marker) return;
      event.preventDefault();
      event.stopPropagation();
      openCitation((marker.getAttribute("href") || "").slice(1));
    },
    true,
  );

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
    const words = window.KAKEHASHI_COPIED || {};
    toast(words[document.documentElement.lang] || words.en || "Copied");
  };

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
    try {
      window.localStorage.setItem("kakehashi.language", language);
    } catch (error) {
      // storage disabled: the choice lasts for this page only
    }
  };
})();
