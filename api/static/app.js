// Byline chat. Plain JavaScript, no build step. All text from articles and answers goes into
// the page through textContent, never innerHTML: nothing in a document can run here.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { conversation: null, busy: false, docs: new Map() };

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function apiKey() { return localStorage.getItem("byline-api-key") || ""; }
function headers(json = true) {
  const h = json ? { "Content-Type": "application/json" } : {};
  if (apiKey()) h["Authorization"] = "Bearer " + apiKey();
  return h;
}

async function api(path, options = {}) {
  const r = await fetch(path, { ...options, headers: { ...headers(!!options.body && typeof options.body === "string"), ...(options.headers || {}) } });
  if (!r.ok) throw new Error(await errorText(r));
  return r.json();
}

async function errorText(r) {
  try {
    const body = await r.json();
    const detail = body.detail || (body.error && body.error.message);
    return `${detail || r.statusText} (HTTP ${r.status})`;
  } catch { return `the server answered HTTP ${r.status}`; }
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

function dateLabel(c) {
  if (!c.published) return "date unknown";
  return c.published_inferred ? `${c.published} (inferred)` : c.published;
}

// ---- conversations -------------------------------------------------------------------------
async function loadConversations() {
  const list = $("#conversations");
  try {
    const data = await api("/conversations?limit=100");
    list.replaceChildren(...data.items.map((c) => el("li", {},
      el("button", { class: "conv" + (c.id === state.conversation ? " current" : ""), "data-id": c.id,
                     onclick: () => openConversation(c.id), text: c.title || "New conversation" }),
      el("button", { class: "icon delete", "aria-label": "Delete conversation", title: "Delete",
                     onclick: () => deleteConversation(c.id), text: "✕" }))));
  } catch (e) { list.replaceChildren(el("li", { class: "error", text: "Couldn't load conversations: " + e.message })); }
}

async function newConversation() {
  state.conversation = null;
  $("#messages").replaceChildren();
  $("#empty-hint").hidden = false;
  await loadConversations();
  $("#question").focus();
}

async function openConversation(id) {
  try {
    const conv = await api(`/conversations/${encodeURIComponent(id)}`);
    state.conversation = conv.id;
    const msgs = $("#messages");
    msgs.replaceChildren();
    for (const m of conv.items) {
      if (m.role === "user") msgs.append(userMessage(m.content));
      else renderAnswer(assistantMessage(), m.answer || { answer: m.content, citations: [], abstained: false });
    }
    $("#empty-hint").hidden = conv.items.length > 0;
    await loadConversations();
    closeSidebarOnPhone();
  } catch (e) { showError("Couldn't open the conversation: " + e.message); }
}

async function deleteConversation(id) {
  if (!confirm("Delete this conversation?")) return;
  try {
    await api(`/conversations/${encodeURIComponent(id)}`, { method: "DELETE" });
    if (state.conversation === id) await newConversation(); else await loadConversations();
  } catch (e) { showError("Couldn't delete it: " + e.message); }
}

// ---- messages ------------------------------------------------------------------------------
function userMessage(text) { return el("li", { class: "msg user" }, el("p", { text })); }

function assistantMessage() {
  const li = el("li", { class: "msg assistant pending" },
    el("p", { class: "understood" }), el("p", { class: "answer", text: "…" }), el("ul", { class: "citations" }));
  $("#messages").append(li);
  li.scrollIntoView({ block: "end" });
  return li;
}

function showError(text, into) {
  const li = into || el("li", { class: "msg assistant" });
  li.className = "msg assistant error";
  li.replaceChildren(el("p", { text }));
  if (!into) $("#messages").append(li);
}

// The answer text with each [n] turned into a button that opens its citation.
function answerNodes(text, citations) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(/\[(\d+)\]/g)) {
    out.push(document.createTextNode(text.slice(last, m.index)));
    const c = citations.find((x) => x.n === Number(m[1]));
    out.push(c ? el("button", { class: "marker", title: c.title, "aria-label": `Source ${m[1]}: ${c.title}`,
                               onclick: () => openSource(c), text: `[${m[1]}]` })
               : document.createTextNode(m[0]));
    last = m.index + m[0].length;
  }
  out.push(document.createTextNode(text.slice(last)));
  return out;
}

function renderAnswer(li, a) {
  li.classList.remove("pending");
  const answer = li.querySelector(".answer");
  if (a.abstained) {
    li.classList.add("abstained");
    answer.replaceChildren(el("strong", { text: "Not found in the articles. " }),
      document.createTextNode("None of the articles supports an answer to this well enough, so Byline won't guess. Try naming the person, place or date."));
  } else {
    answer.replaceChildren(...answerNodes(a.answer, a.citations || []));
  }
  // Which answerer wrote it, and what the check against the cited passages left out.
  li.querySelector(".provenance")?.remove();
  const notes = [];
  if (a.generator && a.generator !== "extractive") notes.push(`Written by ${a.generator}; every sentence checked against the passage it cites.`);
  if (a.dropped) notes.push(`${a.dropped} generated sentence${a.dropped > 1 ? "s" : ""} left out: the cited passage did not support ${a.dropped > 1 ? "them" : "it"}.`);
  if (notes.length) answer.after(el("p", { class: "provenance", text: notes.join(" ") }));
  const cites = li.querySelector(".citations");
  cites.replaceChildren(...(a.citations || []).map((c) => el("li", {},
    el("button", { class: "cite", onclick: () => openSource(c) },
      el("span", { class: "n", text: `[${c.n}]` }), " ",
      el("span", { class: "title", text: c.title }), " ",
      el("span", { class: "meta", text: `${c.source || "source unknown"} · ${dateLabel(c)}` })),
    el("blockquote", { text: c.quote }))));
}

function streamInto(li) {
  let text = "";
  return {
    question(d) {
      const asked = li.dataset.asked || "";
      if (d.standalone_question && d.standalone_question !== asked) {
        li.querySelector(".understood").textContent = "Understood as: " + d.standalone_question;
      }
    },
    citations(list) { li.citations = list; },
    answer(d) {
      text += d.text;
      li.querySelector(".answer").replaceChildren(...answerNodes(text, li.citations || []));
    },
    done(a) { renderAnswer(li, a); },
    error(d) { showError("Something went wrong while answering: " + (d.detail || "unknown error"), li); },
  };
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

function askOptions() {
  const body = {};
  if ($("#as-of").value) body.as_of = $("#as-of").value;
  const filters = {};
  if ($("#from").value) filters.published_from = $("#from").value;
  if ($("#to").value) filters.published_to = $("#to").value;
  if ($("#source").value) filters.sources = [$("#source").value];
  if (Object.keys(filters).length) body.filters = filters;
  return body;
}

async function ask(question) {
  if (state.busy) return;
  state.busy = true;
  $("#send").disabled = true;
  $("#empty-hint").hidden = true;
  $("#messages").append(userMessage(question));
  const li = assistantMessage();
  li.dataset.asked = question;
  try {
    if (!state.conversation) {
      const conv = await api("/conversations", { method: "POST", body: JSON.stringify({}) });
      state.conversation = conv.id;
    }
    const r = await fetch(`/conversations/${encodeURIComponent(state.conversation)}/messages/stream`, {
      method: "POST", headers: headers(), body: JSON.stringify({ content: question, ...askOptions() }),
    });
    if (!r.ok) throw new Error(await errorText(r));
    await readEvents(r, streamInto(li));
    if (li.classList.contains("pending")) showError("The answer stopped before it was complete. Please ask again.", li);
    await loadConversations();
  } catch (e) {
    showError("Couldn't get an answer: " + e.message, li);
  } finally {
    state.busy = false;
    $("#send").disabled = false;
  }
}

// ---- the source panel ----------------------------------------------------------------------
async function openSource(c) {
  const panel = $("#source-panel");
  $("#source-title").textContent = c.title;
  $("#source-meta").textContent = `${c.source || "Source unknown"} · published ${dateLabel(c)}${c.url ? " · " + c.url : ""}`;
  const body = $("#source-text");
  body.replaceChildren(el("p", { class: "hint", text: "Loading the article…" }));
  panel.hidden = false;
  try {
    const doc = await api(`/documents/${encodeURIComponent(c.doc_id)}`);
    const text = doc.text;
    const a = utf16Index(text, c.start), b = utf16Index(text, c.end);
    const mark = el("mark", { id: "highlight", text: text.slice(a, b) });
    body.replaceChildren(document.createTextNode(text.slice(0, a)), mark, document.createTextNode(text.slice(b)));
    mark.scrollIntoView({ block: "center" });
  } catch (e) {
    body.replaceChildren(el("p", { class: "error", text: "Couldn't load the article: " + e.message }),
      el("blockquote", { text: c.quote }));
  }
}

// ---- documents -----------------------------------------------------------------------------
async function loadDocuments() {
  const list = $("#documents");
  try {
    const data = await api("/documents?limit=500");
    state.docs = new Map(data.items.map((d) => [d.id, d]));
    list.replaceChildren(...data.items.map((d) => el("li", {},
      el("div", { class: "doc-title", text: d.title + (d.title_inferred ? " (title made from the text)" : "") }),
      el("div", { class: "meta", text: `${d.id} · ${d.source || "source unknown"} · ${d.published ? d.published.value + (d.published.inferred ? " (inferred)" : "") : "date unknown"}` }),
      el("button", { class: "link delete", onclick: () => deleteDocument(d.id), text: "Delete" }))));
    const sources = [...new Set(data.items.map((d) => d.source).filter(Boolean))].sort();
    const select = $("#source");
    const chosen = select.value;
    select.replaceChildren(el("option", { value: "", text: "any" }), ...sources.map((s) => el("option", { value: s, text: s })));
    select.value = sources.includes(chosen) ? chosen : "";
  } catch (e) { list.replaceChildren(el("li", { class: "error", text: "Couldn't load documents: " + e.message })); }
}

async function deleteDocument(id) {
  if (!confirm(`Delete ${id}? Its passages leave the index.`)) return;
  try {
    const r = await fetch(`/documents/${encodeURIComponent(id)}`, { method: "DELETE", headers: headers(false) });
    if (!r.ok) throw new Error(await errorText(r));
    $("#upload-status").textContent = `Deleted ${id}.`;
    await loadDocuments();
  } catch (e) { $("#upload-status").textContent = "Couldn't delete: " + e.message; }
}

function upload(files) {
  const form = new FormData();
  for (const f of files) form.append("files", f, f.name);
  const bar = $("#upload-progress"), status = $("#upload-status");
  bar.hidden = false; bar.value = 0;
  status.textContent = `Uploading ${files.length} file(s)…`;
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
      if (body.added.length) parts.push(`added ${body.added.join(", ")}`);
      if (body.replaced.length) parts.push(`replaced ${body.replaced.join(", ")}`);
      if (body.unchanged.length) parts.push(`unchanged ${body.unchanged.join(", ")}`);
      $("#files").value = "";
      await loadDocuments();
      status.textContent = `Done: ${parts.join("; ")}.`;
    } else {
      status.textContent = `Upload refused: ${body.detail || xhr.statusText} (HTTP ${xhr.status})`;
    }
  };
  xhr.onerror = () => { bar.hidden = true; status.textContent = "Upload failed: the server could not be reached."; };
  xhr.send(form);
}

// ---- wiring --------------------------------------------------------------------------------
function closeSidebarOnPhone() { if (window.matchMedia("(max-width: 720px)").matches) document.body.classList.remove("show-sidebar"); }

$("#ask-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const q = $("#question").value.trim();
  if (!q) return;
  $("#question").value = "";
  ask(q);
});
$("#question").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); $("#ask-form").requestSubmit(); }
});
$("#new-conversation").addEventListener("click", newConversation);
$("#close-source").addEventListener("click", () => { $("#source-panel").hidden = true; });
$("#toggle-docs").addEventListener("click", () => { $("#docs").hidden = !$("#docs").hidden; if (!$("#docs").hidden) loadDocuments(); });
$("#close-docs").addEventListener("click", () => { $("#docs").hidden = true; });
$("#toggle-sidebar").addEventListener("click", () => document.body.classList.toggle("show-sidebar"));
$("#api-key").value = apiKey();
$("#api-key").addEventListener("change", (e) => localStorage.setItem("byline-api-key", e.target.value.trim()));
$("#upload-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const files = $("#files").files;
  if (!files.length) { $("#upload-status").textContent = "Choose one or more files first."; return; }
  upload(files);
});

loadConversations();
loadDocuments();
