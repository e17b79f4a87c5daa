// Byline chat. Plain JavaScript, no build step, no inline script or handler (the page's CSP).
// All text from articles and answers goes into the page through textContent, never innerHTML:
// nothing in a document can run here.
"use strict";

const $ = (sel) => document.querySelector(sel);
const STRONG = 0.5;  // the confidence at which an answer is called "well supported"
const DOCS_PAGE = 100;
const state = {
  conversation: null,  // the open conversation's id (also in the URL: ?c=ID)
  busy: false,         // an answer is being fetched
  controller: null,    // aborts that answer (Stop)
  queued: false,       // a question was sent while busy: it waits in the input, sent when done
  opener: null,        // what had focus before the article panel opened
  keys: "none",        // what the server wants an API key for: none, writes, all
  docsShown: 0,
  docsRequest: 0,
};

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

// ---- talking to the server ----------------------------------------------------------------
class RequestError extends Error {
  constructor(message, status = 0) {
    super(message);
    this.status = status;
    this.unreachable = status === 0;
  }
}

function apiKey() { return localStorage.getItem("byline-api-key") || ""; }
function headers(json = true) {
  const h = json ? { "Content-Type": "application/json" } : {};
  if (apiKey()) h["Authorization"] = "Bearer " + apiKey();
  return h;
}

// fetch, with a failure to connect and a refusal both turned into a RequestError in words.
async function request(path, options = {}) {
  let r;
  try {
    r = await fetch(path, { ...options, headers: { ...headers(typeof options.body === "string"), ...(options.headers || {}) } });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new RequestError("Byline is not reachable");
  }
  if (!r.ok) throw new RequestError(await errorText(r), r.status);
  return r;
}

async function api(path, options = {}) { return (await request(path, options)).json(); }

async function errorText(r) {
  if (r.status === 401) { showKeyField(); return "This needs the server's API key: enter it in Documents, under API key."; }
  if (r.status === 403) { showKeyField(); return "That API key is not valid: check it in Documents, under API key."; }
  try {
    const body = await r.json();
    const detail = body.detail || (body.error && body.error.message);
    if (detail) return String(detail).charAt(0).toUpperCase() + String(detail).slice(1);
  } catch { /* not JSON */ }
  return `The server answered with an error (HTTP ${r.status}).`;
}

// Offsets from the server count Unicode code points (Python's str indices); JavaScript strings
// count UTF-16 units, which differ after any character outside the Basic Multilingual Plane.
function utf16Index(text, codePoints) {
  let i = 0;
  for (let n = 0; n < codePoints && i < text.length; n++) {
    i += text.codePointAt(i) > 0xffff ? 2 : 1;
  }
  return i;
}

// ---- dates, filters and provenance in words ---------------------------------------------------
function dateLabel(published, inferred) {
  if (!published) return "date unknown";
  return inferred ? `${published} (inferred)` : published;
}

function localDay(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const today = new Date();
  const same = d.toDateString() === today.toDateString();
  return same ? `today ${pad(d.getHours())}:${pad(d.getMinutes())}` : day;
}

// "as of 2020-06-30 · Tasnim": the time and filters an answer was asked under.
function chipText(asOf, filters) {
  const f = filters || {};
  const range = f.published_from || f.published_to;
  const parts = [];
  if (asOf) parts.push(`as of ${asOf}`);
  if (range) parts.push(`published ${f.published_from || "any time"} to ${f.published_to || "any time"}`);
  if (f.sources && f.sources.length) parts.push(f.sources.join(", "));
  if (range) parts.push(f.include_undated ? "undated articles included" : "undated articles left out");
  return parts.length ? parts.join(" · ") : "all dates · all sources";
}

const ended = (text) => (/[.!?”"’]$/.test(text) ? text : text + ".");

function dateHow(published, evidence, inferred) {
  if (!published) return "Date unknown: the article states none, and mentions no date to infer it from.";
  if (evidence && evidence.startsWith("corrected by hand")) return ended(`Date ${evidence}`);
  if (inferred) return ended(`Date inferred (the year only) from the text: ${evidence || "a date it mentions"}`);
  return `Date stated: “${evidence || published}”.`;
}

function titleHow(doc) {
  if (doc.title_inferred) return "Title made from the first sentence (the article states none).";
  if (doc.title_evidence === "corrected by hand") return "Title corrected by hand.";
  if (doc.title_evidence === "headline line") return "Title from the article's headline line.";
  if (doc.title_evidence === "metadata") return "Title stated in the file's metadata.";
  return "Title stated in the article.";
}

function sourceHow(doc) {
  if (!doc.source) return "Source unknown: no metadata, credit line or agency dateline names it.";
  if (doc.source_evidence === "corrected by hand") return "Source corrected by hand.";
  if (doc.source_evidence === "metadata") return "Source stated in the file's metadata.";
  if (doc.source_evidence) return `Source read from the ${doc.source_evidence.replace(/^(credit line|dateline): /, "$1 “")}”.`;
  return "Source stated in the article.";
}

// ---- the options: as-of date, publication range, source ---------------------------------------
function currentOptions() {
  const body = {};
  if ($("#as-of").value) body.as_of = $("#as-of").value;
  const filters = {};
  if ($("#from").value) filters.published_from = $("#from").value;
  if ($("#to").value) filters.published_to = $("#to").value;
  if ($("#source").value) filters.sources = [$("#source").value];
  if ((filters.published_from || filters.published_to) && $("#include-undated").checked) filters.include_undated = true;
  if (Object.keys(filters).length) body.filters = filters;
  return body;
}

function optionsProblem(o) {
  const f = o.filters || {};
  if (f.published_from && f.published_to && f.published_from > f.published_to) {
    return `The publication range is reversed: “from” (${f.published_from}) is after “to” (${f.published_to}).`;
  }
  if (o.as_of && f.published_from && o.as_of < f.published_from) {
    return `The as-of date (${o.as_of}) is before the range starts (${f.published_from}): no article in it was published by then.`;
  }
  return null;
}

function updateOptions() {
  const o = currentOptions();
  const f = o.filters || {};
  const active = (o.as_of ? 1 : 0) + (f.published_from || f.published_to ? 1 : 0) + (f.sources ? 1 : 0);
  const badge = $("#filter-badge");
  badge.hidden = active === 0;
  badge.textContent = active ? `${active} active: ${chipText(o.as_of, o.filters)}` : "";
  $("#include-undated").disabled = !(f.published_from || f.published_to);
  const problem = optionsProblem(o);
  $("#filter-error").hidden = !problem;
  $("#filter-error").textContent = problem || "";
  return problem;
}

// ---- the first screen ------------------------------------------------------------------------
async function loadStats() {
  try {
    const s = await api("/stats");
    state.keys = s.api_keys;
    if (s.api_keys !== "none") showKeyField();
    setSources(s.sources);
    const empty = s.articles === 0;
    $("#empty-archive").hidden = !empty;
    if (empty) {
      $("#archive-summary").textContent = "No articles yet.";
    } else {
      const named = s.sources.slice(0, 5).map((x) => `${x.name} (${x.articles})`);
      if (s.sources.length > 5) named.push(`${s.sources.length - 5} more`);
      if (s.unknown_source) named.push(`${s.unknown_source} of unknown source`);
      const range = s.earliest ? `published ${s.earliest === s.latest ? s.earliest : `${s.earliest} to ${s.latest}`}` : "none dated";
      const undated = s.undated ? `, ${s.undated} undated` : "";
      $("#archive-summary").textContent = `${s.articles} article${s.articles === 1 ? "" : "s"} from ${named.join(", ") || "unknown sources"}; ${range}${undated}.`;
    }
    $("#examples").replaceChildren(...s.examples.map((q) => el("li", {},
      el("button", { class: "example", text: q, onclick: () => { $("#question").value = q; submitQuestion(); } }))));
    $("#examples-block").hidden = s.examples.length === 0;
  } catch (e) {
    $("#archive-summary").textContent = e.unreachable ? "Byline is not reachable." : `Couldn't read what the archive holds: ${e.message}`;
  }
}

function showWelcome(show) { $("#welcome").hidden = !show; }

// ---- conversations ---------------------------------------------------------------------------
async function loadConversations() {
  const list = $("#conversations");
  try {
    const data = await api("/conversations?limit=100");
    list.replaceChildren(...data.items.map((c) => el("li", {},
      el("button", { class: "conv" + (c.id === state.conversation ? " current" : ""), "data-id": c.id,
                     "aria-current": c.id === state.conversation ? "true" : null,
                     onclick: () => openConversation(c.id, true) },
        el("span", { class: "conv-title", text: c.title || "New conversation" }),
        el("span", { class: "conv-date", text: localDay(c.updated) })),
      el("button", { class: "icon delete", "aria-label": `Delete conversation: ${c.title || "untitled"}`, title: "Delete",
                     onclick: () => deleteConversation(c.id), text: "✕" }))));
  } catch (e) { list.replaceChildren(el("li", { class: "error", text: "Couldn't load conversations: " + e.message })); }
}

function setUrl(id, push) {
  const url = id ? `/?c=${encodeURIComponent(id)}` : "/";
  if (location.pathname + location.search === url) return;
  if (push) history.pushState({ c: id }, "", url); else history.replaceState({ c: id }, "", url);
}

async function newConversation(push = true) {
  if (state.busy) stopAnswer();
  state.conversation = null;
  setUrl(null, push);
  $("#messages").replaceChildren();
  showWelcome(true);
  closeArticle(false);
  await loadConversations();
  closeSidebarOnPhone();
  $("#question").focus();
}

async function openConversation(id, push) {
  if (state.busy) stopAnswer();
  try {
    const conv = await api(`/conversations/${encodeURIComponent(id)}`);
    state.conversation = conv.id;
    setUrl(conv.id, push);
    const msgs = $("#messages");
    msgs.replaceChildren();
    let question = "";
    for (const m of conv.items) {
      if (m.role === "user") { question = m.content; msgs.append(userMessage(m.content)); continue; }
      const li = assistantMessage({ question, as_of: m.as_of, filters: m.filters });
      renderAnswer(li, m.answer || { answer: m.content, citations: [], abstained: false });
    }
    showWelcome(conv.items.length === 0);
    closeArticle(false);
    scrollToEnd();
    closeSidebarOnPhone();
    await loadConversations();
  } catch (e) {
    state.conversation = null;
    setUrl(null, false);
    $("#messages").replaceChildren(failure(e.status === 404 ? "That conversation no longer exists." : "Couldn't open the conversation: " + e.message));
    showWelcome(true);
  }
}

async function deleteConversation(id) {
  if (!confirm("Delete this conversation?")) return;
  try {
    await api(`/conversations/${encodeURIComponent(id)}`, { method: "DELETE" });
    if (state.conversation === id) await newConversation(false); else await loadConversations();
  } catch (e) { alert("Couldn't delete it: " + e.message); }
}

// ---- the thread ------------------------------------------------------------------------------
const thread = () => $("#thread");
function nearEnd() { const t = thread(); return t.scrollHeight - t.scrollTop - t.clientHeight < 120; }
function scrollToEnd() { const t = thread(); t.scrollTop = t.scrollHeight; }

function userMessage(text) { return el("li", { class: "msg user" }, el("p", { text })); }

function failure(text) { return el("li", { class: "msg assistant error" }, el("p", { text })); }

// An answer's place in the thread; `asked` is what it was asked with (question, as_of, filters).
function assistantMessage(asked) {
  const li = el("li", { class: "msg assistant pending" },
    el("p", { class: "understood" }),
    el("p", { class: "answer", text: "…" }),
    el("p", { class: "chip", title: "The date and filters this was asked under", text: chipText(asked.as_of, asked.filters) }),
    el("div", { class: "details" }));
  li.asked = asked;
  $("#messages").append(li);
  return li;
}

// The answer text with each [n] turned into a button that opens its citation.
function answerNodes(text, citations) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(/\[(\d+)\]/g)) {
    out.push(document.createTextNode(text.slice(last, m.index)));
    const c = citations.find((x) => x.n === Number(m[1]));
    out.push(c ? el("button", { type: "button", class: "marker", title: c.title, "aria-label": `Source ${m[1]}: ${c.title}`,
                               onclick: (e) => openArticle(c, e.currentTarget), text: `[${m[1]}]` })
               : document.createTextNode(m[0]));
    last = m.index + m[0].length;
  }
  out.push(document.createTextNode(text.slice(last)));
  return out;
}

function citationCard(c) {
  const how = [dateHow(c.published, c.published_evidence, c.published_inferred)];
  if (c.title_inferred) how.unshift("Title made from the first sentence.");
  return el("li", { class: "citation" },
    el("button", { type: "button", class: "cite", onclick: (e) => openArticle(c, e.currentTarget) },
      el("span", { class: "n", text: `[${c.n}]` }), " ",
      el("span", { class: "title", text: c.title }),
      c.title_inferred ? el("span", { class: "tag", text: "title from first sentence" }) : null, " ",
      el("span", { class: "meta", text: `${c.source || "source unknown"} · ${dateLabel(c.published, c.published_inferred)}` })),
    el("blockquote", { text: c.quote }),
    el("p", { class: "how", text: how.join(" ") }));
}

function otherPassages(list) {
  if (!list || !list.length) return null;
  return el("details", { class: "others" },
    el("summary", { text: `Show other passages (${list.length})` }),
    el("ul", {}, ...list.map((p) => el("li", {},
      el("button", { type: "button", class: "cite", onclick: (e) => openArticle({ ...p, quote: null }, e.currentTarget) },
        el("span", { class: "title", text: p.title }), " ",
        el("span", { class: "meta", text: `${p.source || "source unknown"} · ${dateLabel(p.published, p.published_inferred)}` })),
      el("blockquote", { text: p.text })))));
}

function copyText(a) {
  const lines = [a.answer, ""];
  for (const c of a.citations || []) {
    lines.push(`[${c.n}] ${c.title} — ${c.source || "source unknown"}, ${dateLabel(c.published, c.published_inferred)}${c.url ? ", " + c.url : ""}`);
    lines.push(`    “${c.quote}”`);
  }
  return lines.join("\n").trim() + "\n";
}

async function copyAnswer(a, button) {
  const text = copyText(a);
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = el("textarea", { class: "offscreen", "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = "Copy answer with its citation"; }, 1500);
}

function renderAnswer(li, a) {
  const follow = nearEnd();
  li.classList.remove("pending", "error");
  li.answer = a;
  const answer = li.querySelector(".answer");
  if (a.standalone_question && li.asked && a.standalone_question !== li.asked.question) {
    li.querySelector(".understood").textContent = "Understood as: " + a.standalone_question;
  }
  const details = li.querySelector(".details");
  const parts = [];
  if (a.abstained) {
    li.classList.add("abstained");
    answer.replaceChildren(el("strong", { text: "Not found in the articles. " }),
      document.createTextNode("None of the articles supports an answer to this well enough, so Byline won't guess. Try naming the person, place or date."));
  } else {
    answer.replaceChildren(...answerNodes(a.answer, a.citations || []));
    if (a.date_unknown) answer.append(" ", el("span", { class: "tag warn date-unknown", text: "date unknown",
      title: "The article this answer comes from has no known publication date: it may be older or newer than you think." }));
    const strong = typeof a.confidence === "number" && a.confidence >= STRONG;
    parts.push(el("p", { class: "strength " + (strong ? "strong" : "weak"),
      title: `confidence ${typeof a.confidence === "number" ? a.confidence.toFixed(2) : "unknown"}`,
      text: strong ? "Well supported" : "Weak support: check the quote" }));
  }
  // Which answerer wrote it, and what the check against the cited passages left out.
  const notes = [];
  if (a.generator && a.generator !== "extractive") notes.push(`Written by ${a.generator}; every sentence checked against the passage it cites.`);
  if (a.dropped) notes.push(`${a.dropped} generated sentence${a.dropped > 1 ? "s" : ""} left out: the cited passage did not support ${a.dropped > 1 ? "them" : "it"}.`);
  if (notes.length) parts.push(el("p", { class: "provenance", text: notes.join(" ") }));
  if (a.citations && a.citations.length) parts.push(el("ul", { class: "citations" }, ...a.citations.map(citationCard)));
  parts.push(otherPassages(a.other_passages));
  if (!a.abstained) {
    parts.push(el("div", { class: "actions" },
      el("button", { type: "button", class: "link copy", text: "Copy answer with its citation",
                     onclick: (e) => copyAnswer(a, e.currentTarget) })));
  }
  details.replaceChildren(...parts.filter(Boolean));
  if (follow) scrollToEnd();
}

function showFailure(li, text, retry) {
  li.classList.remove("pending");
  li.classList.add("error");
  li.querySelector(".answer").replaceChildren(document.createTextNode(text + " "));
  if (retry) li.querySelector(".answer").append(el("button", { type: "button", class: "link retry", text: "Retry", onclick: retry }));
  li.querySelector(".details").replaceChildren();
  scrollToEnd();
}

// Server-sent events over a POST (EventSource only does GET): read the stream and split it.
async function readEvents(response, handlers) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
      let event = "message"; const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length && handlers[event]) handlers[event](JSON.parse(data.join("\n")));
    }
  }
}

function streamInto(li) {
  let text = "";
  let failed = null;
  return {
    handlers: {
      question(d) {
        if (d.standalone_question && d.standalone_question !== li.asked.question) {
          li.querySelector(".understood").textContent = "Understood as: " + d.standalone_question;
        }
      },
      citations(list) { li.citations = list; },
      answer(d) {
        const follow = nearEnd();
        text += d.text;
        li.querySelector(".answer").replaceChildren(...answerNodes(text, li.citations || []));
        if (follow) scrollToEnd();
      },
      done(a) { renderAnswer(li, a); },
      error(d) { failed = d.detail || "unknown error"; },
    },
    failed: () => failed,
  };
}

function setBusy(busy) {
  state.busy = busy;
  $("#send").hidden = busy;
  $("#stop").hidden = !busy;
  if (!busy) $("#ask-note").hidden = true;
}

function stopAnswer() {
  if (state.controller) state.controller.abort();
}

// Send the question in the box; while an answer is pending it waits there and goes after it.
function submitQuestion() {
  const box = $("#question");
  const question = box.value.trim();
  if (!question) return;
  const problem = updateOptions();
  if (problem) {
    $("#options").open = true;
    return;  // the question stays in the box
  }
  if (state.busy) {
    state.queued = true;
    const note = $("#ask-note");
    note.textContent = "Waiting for the answer above; your question is kept here and will be sent next. (Stop ends that answer.)";
    note.hidden = false;
    return;
  }
  box.value = "";
  ask({ question, ...currentOptions() });
}

async function ask(asked, li = null) {
  setBusy(true);
  showWelcome(false);
  if (!li) {
    $("#messages").append(userMessage(asked.question));
    li = assistantMessage(asked);
  } else {
    li.classList.remove("error", "abstained");
    li.classList.add("pending");
    li.querySelector(".answer").textContent = "…";
  }
  scrollToEnd();
  const controller = new AbortController();
  state.controller = controller;
  let outcome = "answered";
  try {
    if (!state.conversation) {
      const conv = await api("/conversations", { method: "POST", body: JSON.stringify({}), signal: controller.signal });
      state.conversation = conv.id;
      setUrl(conv.id, true);
    }
    const body = { content: asked.question };
    if (asked.as_of) body.as_of = asked.as_of;
    if (asked.filters) body.filters = asked.filters;
    const r = await request(`/conversations/${encodeURIComponent(state.conversation)}/messages/stream`, {
      method: "POST", body: JSON.stringify(body), signal: controller.signal,
    });
    const stream = streamInto(li);
    try {
      await readEvents(r, stream.handlers);
    } catch (e) {
      if (e.name === "AbortError") throw e;
      throw new RequestError("Byline is not reachable");  // the connection broke mid-answer
    }
    if (stream.failed()) {
      outcome = "failed";
      showFailure(li, "Something went wrong while answering: " + stream.failed() + ".", () => retry(asked, li));
    } else if (li.classList.contains("pending")) {
      outcome = "failed";
      showFailure(li, "Byline is not reachable — the answer stopped before it was complete.", () => retry(asked, li));
    }
    loadConversations();
  } catch (e) {
    outcome = "failed";
    if (e.name === "AbortError") {
      outcome = "stopped";
      showFailure(li, "Stopped before the answer was complete.", () => retry(asked, li));
      li.classList.add("stopped");
    } else if (e.unreachable) {
      showFailure(li, "Byline is not reachable —", () => retry(asked, li));
    } else {
      showFailure(li, "Couldn't get an answer: " + e.message, () => retry(asked, li));
    }
    // The question is kept: back in the box, unless another one waits there.
    if (!$("#question").value.trim()) $("#question").value = asked.question;
  } finally {
    state.controller = null;
    setBusy(false);
  }
  if (state.queued) {
    state.queued = false;
    if (outcome === "answered") submitQuestion();
  }
}

function retry(asked, li) {
  if (state.busy) return;
  if ($("#question").value.trim() === asked.question) $("#question").value = "";
  ask(asked, li);
}

// ---- the article panel -----------------------------------------------------------------------
function isPhone() { return window.matchMedia("(max-width: 720px)").matches; }

function panelHeader(doc) {
  $("#source-title").textContent = doc.title;
  const published = doc.published && typeof doc.published === "object" ? doc.published.value : doc.published;
  const inferred = doc.published && typeof doc.published === "object" ? doc.published.inferred : doc.published_inferred;
  $("#source-meta").textContent = `${doc.source || "Source unknown"} · ${dateLabel(published, inferred)}`;
}

// Open an article in the panel; `ref` has doc_id, and start/end to mark (a citation, a passage).
async function openArticle(ref, opener) {
  const panel = $("#source-panel");
  state.opener = opener || document.activeElement;
  panelHeader(ref);
  $("#source-provenance").replaceChildren();
  const body = $("#source-text");
  body.replaceChildren(el("p", { class: "hint", text: "Loading the article…" }));
  if (!$("#docs").hidden) state.backToDocs = true;  // opened from the documents: back goes there
  $("#docs").hidden = true;
  setExpanded("#toggle-docs", false);
  panel.hidden = false;
  panel.dataset.doc = ref.doc_id;
  $("#source-title").focus();
  try {
    const doc = await api(`/documents/${encodeURIComponent(ref.doc_id)}`);
    if (panel.dataset.doc !== ref.doc_id) return;  // another article was opened meanwhile
    panelHeader(doc);
    const p = doc.published;
    $("#source-provenance").replaceChildren(
      el("li", { class: doc.title_inferred ? "warn" : "", text: titleHow(doc) }),
      el("li", { class: !p || p.inferred ? "warn" : "", text: dateHow(p && p.value, p && p.evidence, p && p.inferred) }),
      el("li", { text: sourceHow(doc) }),
      doc.url && /^https?:\/\//i.test(doc.url) ? el("li", {}, el("a", { href: doc.url, rel: "noopener noreferrer", target: "_blank", text: doc.url })) : null);
    const text = doc.text;
    if (typeof ref.start === "number" && typeof ref.end === "number") {
      const a = utf16Index(text, ref.start), b = utf16Index(text, ref.end);
      const mark = el("mark", { id: "highlight", text: text.slice(a, b) });
      body.replaceChildren(document.createTextNode(text.slice(0, a)), mark, document.createTextNode(text.slice(b)));
      mark.scrollIntoView({ block: "center" });
    } else {
      body.replaceChildren(document.createTextNode(text));
      $("#source-panel .panel-body").scrollTop = 0;
    }
  } catch (e) {
    body.replaceChildren(el("p", { class: "error", text: "Couldn't load the article: " + e.message }),
      ref.quote ? el("blockquote", { text: ref.quote }) : null);
  }
}

function closeArticle(restoreFocus = true) {
  const panel = $("#source-panel");
  if (panel.hidden) return;
  panel.hidden = true;
  delete panel.dataset.doc;
  const back = state.opener;
  state.opener = null;
  if (state.backToDocs && restoreFocus) { $("#docs").hidden = false; setExpanded("#toggle-docs", true); }
  state.backToDocs = false;
  if (!restoreFocus || !back) return;
  if (document.contains(back)) { back.focus(); return; }
  // The list it was opened from was drawn again meanwhile: its entry for the same article.
  const id = back.dataset && back.dataset.id;
  const again = id && document.querySelector(`#documents li[data-id="${CSS.escape(id)}"] .doc-title`);
  if (again) again.focus();
}

// ---- documents -------------------------------------------------------------------------------
function showKeyField() { $("#api-key-label").hidden = false; }

function docMeta(d) {
  const p = d.published;
  return `${d.id} · ${d.source || "source unknown"} · ${p ? dateLabel(p.value, p.inferred) : "date unknown"}`;
}

function docItem(d) {
  const li = el("li", { class: "doc", "data-id": d.id });
  const render = (doc) => {
    li.replaceChildren(
      el("button", { type: "button", class: "doc-title", "data-id": doc.id, onclick: (e) => openArticle({ doc_id: doc.id, title: doc.title, source: doc.source,
        published: doc.published }, e.currentTarget) },
        el("span", { text: doc.title }),
        doc.title_inferred ? el("span", { class: "tag", text: "title from first sentence" }) : null),
      el("div", { class: "meta doc-meta", text: docMeta(doc) }),
      el("div", { class: "doc-actions" },
        el("button", { type: "button", class: "link edit", text: "Correct details", "aria-expanded": "false",
                       onclick: (e) => toggleCorrection(li, doc, render, e.currentTarget) }),
        el("button", { type: "button", class: "link delete", text: "Delete", onclick: () => deleteDocument(doc.id) })));
  };
  render(d);
  return li;
}

// The detected title, date and source of a document, each with how it was found.
function detected(doc) {
  const p = doc.published;
  const why = (how) => how.replace(/^(Source|Date) unknown: /, "");
  return el("ul", { class: "provenance-list" },
    el("li", {}, el("strong", { text: "Title: " }), doc.title + " — " + titleHow(doc)),
    el("li", { class: !p || p.inferred ? "warn" : null }, el("strong", { text: "Date: " }),
      (p ? dateLabel(p.value, p.inferred) : "unknown") + " — " + why(dateHow(p && p.value, p && p.evidence, p && p.inferred))),
    el("li", { class: doc.source ? null : "warn" }, el("strong", { text: "Source: " }), (doc.source || "unknown") + " — " + why(sourceHow(doc))));
}

function toggleCorrection(li, doc, render, button) {
  const open = li.querySelector("form.correct");
  if (open) { open.remove(); button.setAttribute("aria-expanded", "false"); return; }
  button.setAttribute("aria-expanded", "true");
  li.append(correctionForm(doc, (fixed) => { render(fixed); refreshOpenArticle(fixed.id); }));
}

function correctionForm(doc, saved) {
  const p = doc.published;
  const field = (label, name, value, extra = {}) => el("label", {}, label,
    el("input", { name, value: value || "", ...extra }));
  const status = el("p", { class: "form-status", role: "status" });
  const form = el("form", { class: "correct", novalidate: true },
    field("Title", "title", doc.title),
    field("Date (YYYY-MM-DD, YYYY-MM or YYYY; empty: unknown)", "published", p ? p.value : "", { inputmode: "numeric", placeholder: "YYYY-MM-DD" }),
    field("Source (empty: unknown)", "source", doc.source),
    field("URL (empty: none)", "url", doc.url, { type: "url" }),
    el("div", { class: "form-row" },
      el("button", { type: "submit", class: "primary", text: "Save correction" })),
    status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const before = { title: doc.title || "", published: p ? p.value : "", source: doc.source || "", url: doc.url || "" };
    const changes = {};
    for (const name of Object.keys(before)) {
      const value = form.elements[name].value.trim();
      if (value !== before[name]) changes[name] = value || null;
    }
    if (!Object.keys(changes).length) { status.className = "form-status"; status.textContent = "Nothing changed."; return; }
    status.className = "form-status"; status.textContent = "Saving…";
    try {
      const fixed = await api(`/documents/${encodeURIComponent(doc.id)}`, { method: "PATCH", body: JSON.stringify(changes) });
      saved(fixed);
      loadStats();
    } catch (err) {
      status.className = "form-status error";
      status.textContent = "Not saved: " + err.message;
    }
  });
  return form;
}

function refreshOpenArticle(id) {
  const panel = $("#source-panel");
  if (!panel.hidden && panel.dataset.doc === id) openArticle({ doc_id: id, title: $("#source-title").textContent }, state.opener);
}

async function loadDocuments(more = false) {
  const list = $("#documents");
  const offset = more ? state.docsShown : 0;
  const asked = ++state.docsRequest;  // only the latest request's answer is shown
  try {
    const data = await api(`/documents?order=newest&limit=${DOCS_PAGE}&offset=${offset}`);
    if (asked !== state.docsRequest) return;
    const items = data.items.map(docItem);
    if (more) list.append(...items); else list.replaceChildren(...items);
    state.docsShown = offset + data.items.length;
    $("#docs-count").textContent = `${data.total} article${data.total === 1 ? "" : "s"}`;
    $("#more-documents").hidden = state.docsShown >= data.total;
    if (!data.total) list.replaceChildren(el("li", { class: "hint", text: "No articles yet: upload some above." }));
  } catch (e) { list.replaceChildren(el("li", { class: "error", text: "Couldn't load documents: " + e.message })); }
}

function setSources(sources) {
  const select = $("#source");
  const chosen = select.value;
  const names = sources.map((x) => x.name);
  select.replaceChildren(el("option", { value: "", text: "any" }), ...names.map((n) => el("option", { value: n, text: n })));
  select.value = names.includes(chosen) ? chosen : "";
}

async function deleteDocument(id) {
  if (!confirm(`Delete ${id}? Its passages leave the index.`)) return;
  try {
    await request(`/documents/${encodeURIComponent(id)}`, { method: "DELETE", headers: headers(false) });
    $("#upload-status").className = "";
    $("#upload-status").textContent = `Deleted ${id}.`;
    await loadDocuments();
    loadStats();
  } catch (e) {
    $("#upload-status").className = "error";
    $("#upload-status").textContent = "Couldn't delete: " + e.message;
  }
}

async function showUploadResults(body) {
  const results = $("#upload-results");
  const items = [];
  for (const f of body.files || []) {
    if (f.status === "refused") {
      items.push(el("li", { class: "error", text: `${f.file || "document"}: refused — ${f.reason}` }));
      continue;
    }
    for (const id of f.ids) {
      const li = el("li", { class: "upload-result" }, el("p", { class: "meta", text: `${f.file || "document"}: ${id} ${f.status}` }));
      items.push(li);
      api(`/documents/${encodeURIComponent(id)}`).then((doc) => {
        const show = (d) => {
          li.replaceChildren(el("p", { class: "meta", text: `${f.file || "document"}: ${d.id} ${f.status}. Detected:` }), detected(d),
            el("button", { type: "button", class: "link edit", text: "Correct details", onclick: (e) => {
              e.currentTarget.remove();
              li.append(correctionForm(d, (fixed) => { show(fixed); loadDocuments(); refreshOpenArticle(fixed.id); }));
            } }));
        };
        show(doc);
      }).catch((e) => li.append(el("p", { class: "error", text: "Couldn't read what was detected: " + e.message })));
    }
  }
  results.replaceChildren(...items);
}

function upload(files) {
  const form = new FormData();
  for (const f of files) form.append("files", f, f.name);
  const bar = $("#upload-progress"), status = $("#upload-status");
  bar.hidden = false; bar.value = 0;
  status.className = "";
  status.textContent = `Uploading ${files.length} file(s)…`;
  $("#upload-results").replaceChildren();
  const xhr = new XMLHttpRequest();  // fetch has no upload progress
  xhr.open("POST", "/documents");
  if (apiKey()) xhr.setRequestHeader("Authorization", "Bearer " + apiKey());
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = (100 * e.loaded) / e.total; };
  xhr.upload.onload = () => { status.textContent = "Uploaded; indexing…"; };
  xhr.onload = async () => {
    bar.hidden = true;
    let body = {};
    try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
    if (xhr.status >= 200 && xhr.status < 300) {
      const parts = [];
      if (body.added.length) parts.push(`added ${body.added.length}`);
      if (body.replaced.length) parts.push(`replaced ${body.replaced.length}`);
      if (body.unchanged.length) parts.push(`unchanged ${body.unchanged.length}`);
      const refused = (body.files || []).filter((f) => f.status === "refused").length;
      if (refused) parts.push(`refused ${refused}`);
      $("#files").value = "";
      await showUploadResults(body);
      await loadDocuments();
      loadStats();
      status.textContent = `Done: ${parts.join(", ")}. Check what was detected below, and correct it if it is wrong.`;
    } else {
      status.className = "error";
      if (xhr.status === 401) { showKeyField(); status.textContent = "Upload refused: this server needs its API key. Enter it above and upload again."; }
      else if (xhr.status === 403) { showKeyField(); status.textContent = "Upload refused: that API key is not valid."; }
      else status.textContent = `Upload refused: ${body.detail || xhr.statusText || "the server said no"}.`;
    }
  };
  xhr.onerror = () => { bar.hidden = true; status.className = "error"; status.textContent = "Upload failed: Byline is not reachable."; };
  xhr.send(form);
}

// ---- wiring ----------------------------------------------------------------------------------
function setExpanded(sel, open) { $(sel).setAttribute("aria-expanded", open ? "true" : "false"); }
function closeSidebarOnPhone() { if (isPhone()) { document.body.classList.remove("show-sidebar"); setExpanded("#toggle-sidebar", false); } }

function openDocs() {
  state.backToDocs = false;
  closeArticle(false);
  $("#docs").hidden = false;
  setExpanded("#toggle-docs", true);
  loadDocuments();
  $("#docs-title").focus();
}

function closeDocs() {
  if ($("#docs").hidden) return;
  $("#docs").hidden = true;
  setExpanded("#toggle-docs", false);
  $("#toggle-docs").focus();
}

$("#ask-form").addEventListener("submit", (e) => { e.preventDefault(); submitQuestion(); });
$("#question").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submitQuestion(); }
});
$("#stop").addEventListener("click", stopAnswer);
for (const id of ["#as-of", "#from", "#to", "#source", "#include-undated"]) $(id).addEventListener("change", updateOptions);
for (const id of ["#as-of", "#from", "#to"]) $(id).addEventListener("input", updateOptions);
$("#clear-filters").addEventListener("click", () => {
  for (const id of ["#as-of", "#from", "#to", "#source"]) $(id).value = "";
  $("#include-undated").checked = false;
  updateOptions();
});
$("#new-conversation").addEventListener("click", () => newConversation(true));
$("#home").addEventListener("click", (e) => { e.preventDefault(); newConversation(true); });
$("#close-source").addEventListener("click", () => closeArticle());
$("#toggle-docs").addEventListener("click", () => { if ($("#docs").hidden) openDocs(); else closeDocs(); });
$("#close-docs").addEventListener("click", closeDocs);
$("#go-upload").addEventListener("click", openDocs);
$("#more-documents").addEventListener("click", () => loadDocuments(true));
$("#toggle-sidebar").addEventListener("click", () => {
  const open = document.body.classList.toggle("show-sidebar");
  setExpanded("#toggle-sidebar", open);
});
$("#api-key").value = apiKey();
$("#api-key").addEventListener("change", (e) => localStorage.setItem("byline-api-key", e.target.value.trim()));
$("#upload-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const files = $("#files").files;
  if (!files.length) { $("#upload-status").className = "error"; $("#upload-status").textContent = "Choose one or more files first."; return; }
  upload(files);
});
document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape") return;
  if (!$("#source-panel").hidden) { e.preventDefault(); closeArticle(); }
  else if (!$("#docs").hidden) { e.preventDefault(); closeDocs(); }
  else if (document.body.classList.contains("show-sidebar")) { closeSidebarOnPhone(); $("#toggle-sidebar").focus(); }
});
window.addEventListener("popstate", () => {
  const id = new URLSearchParams(location.search).get("c");
  if (id) openConversation(id, false); else newConversation(false);
});

updateOptions();
loadStats();
const startAt = new URLSearchParams(location.search).get("c");
if (startAt) openConversation(startAt, false); else loadConversations();
