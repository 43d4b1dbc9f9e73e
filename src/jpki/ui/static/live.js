// jpkitool ui: the card's changes shown without a reload (docs/ui.md, "Live updates").
//
// Every 2 s the page asks /status for the readers' state (no card is read). When the
// answer differs from the one before, the page is fetched again and its <main>
// replaces this one, and the #live region says what happened. While a form field
// has focus or holds something typed, nothing is replaced: the region says so, and
// the user reads the card again with the page's link when done. When the server has
// stopped, the region says so and the looks end. Without this script the page is
// the same, read again with that link.
"use strict";

(function () {
  const live = document.getElementById("live");
  if (!live) {
    return; // the page after Quit: nothing to watch
  }
  const EVERY = 2000;
  // The status as the server looked at it before reading the card for this page.
  let last = live.dataset.seen ? JSON.parse(live.dataset.seen) : null;

  function say(text) {
    live.textContent = text;
  }

  // What changed, and that the page was left as it is (Japanese: no space after 。).
  function hold(sentence) {
    say(sentence + (sentence.endsWith("。") ? "" : " ") + live.dataset.held);
  }

  // Whether the user is at a form of <main>: a field focused, or one filled in.
  function typing(main) {
    const fields = main.querySelectorAll("form input, form textarea, form select");
    for (const field of fields) {
      if (field.type === "hidden" || field.type === "submit" || field.type === "button") {
        continue;
      }
      if (field === document.activeElement) {
        return true;
      }
      const filled =
        field.type === "checkbox" || field.type === "radio"
          ? field.checked
          : field.tagName !== "SELECT" && field.value !== "";
      if (filled) {
        return true;
      }
    }
    return false;
  }

  // A selector that finds the focused element again in a new <main>; null if none.
  function focusKey(element, main) {
    if (!main.contains(element) || element === main) {
      return null;
    }
    if (element.id) {
      return "#" + CSS.escape(element.id);
    }
    const form = element.closest("form");
    if (form) {
      return 'form[action="' + CSS.escape(form.getAttribute("action") || "") + '"] button';
    }
    if (element.tagName === "A") {
      return 'a[href="' + CSS.escape(element.getAttribute("href") || "") + '"]';
    }
    return "h2";
  }

  function restoreFocus(key, main) {
    if (key === null) {
      return; // the focus was outside <main>: it stays where it is
    }
    const target = main.querySelector(key) || main.querySelector("h2");
    if (target) {
      if (target.tagName === "H2") {
        target.setAttribute("tabindex", "-1");
      }
      target.focus();
    }
  }

  async function replaceMain(sentence) {
    if (typing(document.querySelector("main"))) {
      hold(sentence);
      return;
    }
    const response = await fetch("/", { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) {
      throw new Error("page " + response.status);
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.querySelector("main");
    if (!fresh) {
      throw new Error("no <main> in the page");
    }
    const current = document.querySelector("main");
    if (typing(current)) {
      hold(sentence); // the user began typing meanwhile
      return;
    }
    if (page.documentElement.lang !== document.documentElement.lang) {
      window.location.reload(); // another tab switched the language: all of it changed
      return;
    }
    const key = focusKey(document.activeElement, current);
    current.replaceWith(document.adoptNode(fresh));
    restoreFocus(key, fresh);
    say(sentence);
    const seen = page.getElementById("live");
    if (seen && seen.dataset.seen) {
      last = JSON.parse(seen.dataset.seen); // what the new <main> was read after
    }
  }

  function sentenceFor(before, after) {
    if (after.cards < before.cards) {
      return live.dataset.removed;
    }
    if (after.cards > before.cards) {
      return live.dataset.inserted;
    }
    return live.dataset.changed;
  }

  async function look() {
    const response = await fetch("/status", { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) {
      throw new Error("status " + response.status);
    }
    const now = await response.json();
    const before = last;
    last = now;
    if (before !== null && JSON.stringify(now) !== JSON.stringify(before)) {
      await replaceMain(sentenceFor(before, now));
    }
  }

  async function loop() {
    try {
      await look();
    } catch (error) {
      say(live.dataset.stopped); // no answer: the server has stopped
      return;
    }
    setTimeout(loop, EVERY);
  }

  loop();
})();
