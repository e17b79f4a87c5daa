"""The chat page in real headless Chromium (Debian's, driven by Playwright): ask, read the
cited sentence in its article, follow up, upload and ask, and no script from a document runs;
the time each answer was asked under, a refused range, the thread's scroll, the article panel's
keyboard and focus, asking while an answer is pending, Stop, a server that goes away, a
corrected date, the first screen, and a phone. Screenshots go to test-output/. CI installs
Chromium; elsewhere these skip without it, unless BYLINE_REQUIRE_BROWSER=1 says they must run."""
import os
import shutil
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import copy_seeds
from eval.serving import serve

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists() and os.environ.get("BYLINE_REQUIRE_BROWSER") == "1":
    raise RuntimeError("BYLINE_REQUIRE_BROWSER=1 but Chromium is not installed (apt-get install chromium)")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")

# Characters outside the Basic Multilingual Plane before the cited sentence: its code-point
# offsets differ from JavaScript's UTF-16 ones, so a wrong conversion marks the wrong text.
UPLOAD = """title: Harbour festival draws record crowds
source: Test Gazette
published: 2026-05-02

🎉🎉 𝔉𝔢𝔰𝔱𝔦𝔳𝔞𝔩 𝔫𝔢𝔴𝔰 🎉 from the island.
The harbour festival in Valletta drew 48,000 visitors on Saturday, organisers said.
<script>window.__pwned = true</script><img src=x onerror="window.__pwned = true">
The festival was opened by the mayor, Alicia Borg, who thanked the volunteers.
"""
# A headline, a byline, then the date line: stated, not inferred from the 2019 in the story.
DATED_UNDER_HEADLINE = """Port strike ends after nine days
By Jane Doe
date 2025-03-14

The dock workers' strike at the port of Gdansk ended on Friday after nine days, the union said.
The last strike at the port, in 2019, lasted three days.
"""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
QUESTION = "Who invited Zarif to Baghdad in 2025?"


class Slowed:
    """The real archive; while `delay` is set, its answers stream with a pause between events,
    so a test can act while one is pending."""

    def __init__(self, archive):
        self._archive = archive
        self.delay = 0.0

    def __getattr__(self, name):
        return getattr(self._archive, name)

    def ask_events(self, *args, **kwargs):
        for event in self._archive.ask_events(*args, **kwargs):
            if self.delay:
                time.sleep(self.delay)
            yield event


@dataclass
class Site:
    url: str
    archive: Slowed
    settings: object


@pytest.fixture(scope="module")
def site(settings, embedder, tmp_path_factory):
    from api.app import create_app
    from qa.archive import Archive

    root = tmp_path_factory.mktemp("browser")
    s = settings.model_copy(update={"data_dir": root / "data", "seeds_dir": copy_seeds(root / "seeds")})
    archive = Archive(s, embedder=embedder)
    slowed = Slowed(archive)
    with serve(create_app(s, slowed)) as base:
        yield Site(base, slowed, s)
    archive.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright starts Chromium with a new, empty temporary --user-data-dir of its own.
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def open_page(browser, url, errors, **context):
    ctx = browser.new_context(**{"viewport": {"width": 1280, "height": 860}, **context})
    pg = ctx.new_page()
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(url)
    return pg


@pytest.fixture
def page(browser, site):
    errors: list[str] = []
    pg = open_page(browser, site.url, errors)
    yield pg
    pg.context.close()
    assert not errors, errors


@pytest.fixture
def slow(site):
    site.archive.delay = 0.25
    yield site.archive
    site.archive.delay = 0.0


def send(page, question: str):
    page.fill("#question", question)
    page.press("#question", "Enter")


def settled(page):
    page.wait_for_function("() => !document.querySelector('#messages li.pending')", timeout=30_000)


def ask(page, question: str):
    send(page, question)
    last = page.locator("#messages li.assistant").last
    last.locator(".answer").wait_for()
    settled(page)
    return last


def box(locator):
    b = locator.bounding_box()
    assert b is not None, locator
    return b


# --- the first screen (first: the examples come from the seeds alone) --------------------

def test_first_screen_says_what_the_archive_holds(page, output_dir):
    summary = page.locator("#archive-summary")
    page.wait_for_function("() => /articles? from/.test(document.querySelector('#archive-summary').textContent)")
    text = summary.inner_text()
    assert "Mehr News Agency" in text and "Tasnim" in text and "2025" in text
    examples = page.locator("#examples button.example")
    assert examples.count() == 3
    page.screenshot(path=str(output_dir / "first-screen.png"))
    question = examples.first.inner_text()
    examples.first.click()
    settled(page)
    assert page.locator("#messages li.user").inner_text() == question
    assert "Not found" not in page.locator("#messages li.assistant").inner_text()


# --- asking and reading ----------------------------------------------------------------------

def test_ask_see_the_answer_and_open_its_sentence(page, output_dir):
    reply = ask(page, QUESTION)
    assert "al-Hakim" in reply.locator(".answer").inner_text()
    cite = reply.locator(".citations li").first
    assert "2025-02-07" in cite.inner_text()
    assert "Date stated" in cite.locator(".how").inner_text()  # how the date was found
    assert "Title made from the first sentence" in cite.inner_text()
    assert reply.locator(".strength").inner_text() == "Well supported"
    quote = cite.locator("blockquote").inner_text()
    page.screenshot(path=str(output_dir / "chat-answer.png"))
    reply.locator(".answer .marker").first.click()
    mark = page.locator("#source-text mark")
    mark.wait_for()
    assert mark.inner_text() == quote and "al-Hakim" in quote
    assert page.locator("#source-meta").inner_text().count("2025-02-07") == 1
    provenance = page.locator("#source-provenance").inner_text()
    assert "Title made from the first sentence" in provenance and "Date stated: “date 2025-02-07”" in provenance
    assert mark.is_visible()  # scrolled into view in the panel
    page.screenshot(path=str(output_dir / "chat-citation.png"))


def test_other_passages_and_copy_with_citation(browser, site):
    errors: list[str] = []
    pg = open_page(browser, site.url, errors, permissions=["clipboard-read", "clipboard-write"])
    reply = ask(pg, QUESTION)
    others = reply.locator("details.others")
    assert "Show other passages" in others.locator("summary").inner_text()
    others.locator("summary").click()
    first = others.locator("li").first
    assert first.locator("blockquote").inner_text()  # the passage's text
    assert " · " in first.locator(".meta").inner_text()  # its source and date
    first.locator("button.cite").click()
    pg.locator("#source-text mark").wait_for()  # the passage marked in its article
    pg.keyboard.press("Escape")
    reply.locator("button.copy").click()
    pg.wait_for_function("() => document.querySelector('button.copy').textContent === 'Copied'")
    copied = pg.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Seyyed Ammar al-Hakim [1]") and "[1] " in copied and "2025-02-07" in copied
    assert "Zarif arrived in Baghdad" in copied  # the quote
    pg.context.close()
    assert not errors, errors


def test_follow_up_and_the_conversation_url(page, output_dir):
    ask(page, QUESTION)
    reply = ask(page, "What movement does he lead?")
    assert "Wisdom" in reply.locator(".answer").inner_text()
    assert "al-Hakim" in reply.locator(".understood").inner_text()
    page.screenshot(path=str(output_dir / "chat-follow-up.png"))
    # The conversation is kept, listed with a date, and has its own address: a reload reopens it.
    current = page.locator("#conversations .conv.current")
    assert "Who invited Zarif" in current.inner_text() and "today" in current.locator(".conv-date").inner_text()
    cid = current.get_attribute("data-id")
    assert page.url.endswith(f"?c={cid}")
    page.reload()
    page.wait_for_function("() => document.querySelectorAll('#messages li.assistant').length === 2")
    assert page.locator("#conversations .conv.current").get_attribute("data-id") == cid
    # "New conversation" starts afresh and closes the open article.
    page.locator("#messages .marker").first.click()
    page.locator("#source-text mark").wait_for()
    page.click("#new-conversation")
    page.wait_for_function("() => !document.querySelector('#conversations .conv.current')")
    assert page.locator("#source-panel").is_hidden() and page.locator("#messages li").count() == 0
    assert not page.url.endswith(cid)
    page.locator(f'#conversations .conv[data-id="{cid}"]').click()
    page.wait_for_function("() => document.querySelectorAll('#messages li.assistant').length === 2")


def test_as_of_date_changes_the_answer(page):
    page.click("#options summary")
    page.fill("#as-of", "2020-12-31")  # before the 2025 article: Barzani's 2020 invitation
    reply = ask(page, "Who invited Zarif?")
    assert "Barzani" in reply.locator(".answer").inner_text()
    assert "2025" not in reply.locator(".citations").inner_text()


def test_unanswerable_is_shown_as_not_found(page):
    reply = ask(page, "What is the capital of Australia?")
    assert "Not found in the articles" in reply.inner_text()


# --- time, visible ---------------------------------------------------------------------------

def test_time_chip_and_filter_badge_survive_a_reload(page, output_dir):
    page.click("#options summary")
    page.fill("#as-of", "2020-12-31")
    page.wait_for_selector('#source option[value="Mehr News Agency"]', state="attached")
    page.select_option("#source", "Mehr News Agency")
    reply = ask(page, "Who invited Zarif?")
    chip = "as of 2020-12-31 · Mehr News Agency"
    assert reply.locator(".chip").inner_text() == chip
    # With the panel closed, a badge says a filter is active.
    assert page.locator("#filter-badge").is_hidden()
    page.click("#options summary")
    assert page.locator("#filter-badge").is_visible() and "2 active" in page.locator("#filter-badge").inner_text()
    page.screenshot(path=str(output_dir / "time-chip.png"))
    # A later turn without filters says so: the two answers can't be mistaken for each other.
    page.click("#options summary")
    page.click("#clear-filters")
    plain = ask(page, "Who invited Zarif?")
    assert plain.locator(".chip").inner_text() == "all dates · all sources"
    page.reload()  # the address names the conversation: it reopens with each turn's chip
    page.wait_for_function("() => document.querySelectorAll('#messages li.assistant').length === 2")
    chips = page.locator("#messages .chip").all_inner_texts()
    assert chips == [chip, "all dates · all sources"]


def test_a_reversed_range_is_refused_and_the_question_kept(page):
    page.click("#options summary")
    page.fill("#from", "2025-01-01")
    page.fill("#to", "2020-01-01")
    error = page.locator("#filter-error")
    assert error.is_visible() and "reversed" in error.inner_text()
    send(page, "Who invited Zarif?")
    assert page.locator("#messages li").count() == 0  # nothing was sent
    assert page.input_value("#question") == "Who invited Zarif?"
    # An as-of date before the range is refused too; a proper range is accepted.
    page.fill("#to", "2025-12-31")
    page.fill("#as-of", "2024-06-01")
    assert "before the range starts" in error.inner_text()
    page.fill("#as-of", "")
    assert error.is_hidden()
    page.press("#question", "Enter")
    settled(page)
    assert "undated articles left out" in page.locator("#messages .chip").inner_text()


# --- a thread that holds up -------------------------------------------------------------------

def test_the_last_card_is_above_the_input_after_an_answer(browser, site):
    errors: list[str] = []
    pg = open_page(browser, site.url, errors, viewport={"width": 1100, "height": 600})
    for q in (QUESTION, "What movement does he lead?", "Who invited Zarif?"):
        ask(pg, q)
    card = pg.locator("#messages li.assistant").last.locator(".citations li").last
    form = box(pg.locator("#ask-form"))
    b = box(card)
    assert b["y"] >= 0 and b["y"] + b["height"] <= form["y"] + 1, (b, form)
    # Reopened, a conversation is scrolled to its end.
    cid = pg.locator("#conversations .conv.current").get_attribute("data-id")
    pg.click("#new-conversation")
    pg.locator(f'#conversations .conv[data-id="{cid}"]').click()
    pg.wait_for_function("() => document.querySelectorAll('#messages li.assistant').length === 3")
    gap = pg.evaluate("(() => { const t = document.querySelector('#thread'); return t.scrollHeight - t.scrollTop - t.clientHeight; })()")
    assert gap <= 2 and pg.evaluate("document.querySelector('#thread').scrollTop") > 0
    pg.context.close()
    assert not errors, errors


def test_escape_closes_the_article_and_focus_returns(page):
    reply = ask(page, QUESTION)
    cite = reply.locator(".citations button.cite").first
    cite.focus()
    page.keyboard.press("Enter")
    page.locator("#source-text mark").wait_for()
    assert page.evaluate("document.querySelector('#source-panel').contains(document.activeElement)")
    head = box(page.locator("#source-panel .panel-head"))
    page.locator("#source-panel .panel-body").evaluate("b => b.scrollTop = b.scrollHeight")
    assert box(page.locator("#source-panel .panel-head")) == head  # title, date and close stay put
    assert page.locator("#close-source").is_visible()
    page.keyboard.press("Escape")
    assert page.locator("#source-panel").is_hidden()
    assert page.evaluate("document.activeElement.classList.contains('cite')")


def test_asking_twice_quickly_loses_nothing(page, slow):
    send(page, QUESTION)
    page.locator("#messages li.pending").wait_for()
    send(page, "What movement does he lead?")  # while the first answer is pending
    assert page.input_value("#question") == "What movement does he lead?"
    assert "kept here" in page.locator("#ask-note").inner_text()
    page.wait_for_function("() => document.querySelectorAll('#messages li.assistant:not(.pending)').length === 2",
                           timeout=30_000)
    settled(page)
    users = page.locator("#messages li.user").all_inner_texts()
    assert users == [QUESTION, "What movement does he lead?"]
    answers = page.locator("#messages li.assistant .answer").all_inner_texts()
    assert "al-Hakim" in answers[0] and "Wisdom" in answers[1]
    assert page.input_value("#question") == ""


def test_stop_ends_the_stream_and_keeps_the_question(page, slow):
    send(page, QUESTION)
    page.locator("#messages li.pending").wait_for()
    assert page.locator("#send").is_hidden()
    page.click("#stop")
    settled(page)
    turn = page.locator("#messages li.assistant").last
    assert "Stopped" in turn.inner_text() and turn.locator("button.retry").is_visible()
    assert page.locator("#stop").is_hidden() and page.locator("#send").is_visible()
    assert page.input_value("#question") == QUESTION
    slow.delay = 0.0
    turn.locator("button.retry").click()  # the same turn, answered this time
    settled(page)
    assert "al-Hakim" in page.locator("#messages li.assistant").last.inner_text()
    assert page.locator("#messages li.assistant").count() == 1


def test_a_server_that_goes_away_says_so_and_keeps_the_turn(browser, site, output_dir):
    from api.app import create_app

    s = site.settings.model_copy(update={"data_dir": Path(site.settings.data_dir).parent / "second"})
    errors: list[str] = []
    with ExitStack() as stack:
        url = stack.enter_context(serve(create_app(s, site.archive._archive)))
        pg = open_page(browser, url, errors)
        ask(pg, QUESTION)
        stack.close()  # the server stops mid-conversation
        send(pg, "What movement does he lead?")
        failed = pg.locator("#messages li.assistant.error")
        failed.wait_for()
        assert failed.locator(".answer").inner_text().strip() == "Byline is not reachable — Retry"
        assert pg.locator("#messages li.user").all_inner_texts() == [QUESTION, "What movement does he lead?"]
        assert pg.input_value("#question") == "What movement does he lead?"
        assert "al-Hakim" in pg.locator("#messages li.assistant").first.inner_text()  # the earlier turn stays
        pg.screenshot(path=str(output_dir / "unreachable.png"))
        pg.context.close()
    assert not errors, errors


# --- documents: upload, detected metadata, corrections ------------------------------------------

def test_upload_then_ask_and_scripts_stay_text(page, tmp_path, output_dir):
    f = tmp_path / "festival.txt"
    f.write_text(UPLOAD, encoding="utf-8")
    page.click("#toggle-docs")
    page.set_input_files("#files", str(f))
    page.click("#upload-form button[type=submit]")
    page.wait_for_function("() => document.querySelector('#upload-status').textContent.startsWith('Done')")
    assert "festival" in page.locator("#documents").inner_text()
    page.screenshot(path=str(output_dir / "documents.png"))
    page.click("#close-docs")

    reply = ask(page, "How many visitors did the harbour festival in Valletta draw?")
    assert "48,000" in reply.locator(".answer").inner_text()
    reply.locator(".answer .marker").first.click()
    mark = page.locator("#source-text mark")
    mark.wait_for()
    # Exactly the cited sentence, after the astral-plane characters.
    assert mark.inner_text() == "The harbour festival in Valletta drew 48,000 visitors on Saturday, organisers said."
    assert "<script>window.__pwned = true</script>" in page.locator("#source-text").inner_text()
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#source-text script, #source-text img").count() == 0
    page.screenshot(path=str(output_dir / "upload-citation.png"))


def test_upload_shows_what_was_detected_and_a_correction_changes_the_date(page, tmp_path, output_dir):
    f = tmp_path / "port-strike.txt"
    f.write_text(DATED_UNDER_HEADLINE, encoding="utf-8")
    page.click("#toggle-docs")
    assert page.locator("#api-key-label").is_hidden()  # this server wants no key
    page.set_input_files("#files", str(f))
    page.click("#upload-form button[type=submit]")
    result = page.locator("#upload-results .upload-result")
    result.locator(".provenance-list").wait_for()
    detected = result.inner_text()
    assert "Port strike ends after nine days" in detected and "headline line" in detected
    assert "2025-03-14 — Date stated: “date 2025-03-14”" in detected
    assert "Source: unknown" in detected
    page.screenshot(path=str(output_dir / "upload-detected.png"))
    result.locator("button.edit").click()
    result.locator("input[name=published]").fill("2025-03-15")
    result.locator("input[name=source]").fill("Baltic Wire")
    result.locator("button[type=submit]").click()
    page.wait_for_function("() => document.querySelector('#upload-results').textContent.includes('Date corrected by hand')")
    assert "2025-03-15" in result.inner_text()
    doc = page.locator('#documents li[data-id="port-strike"]')
    doc.locator(".doc-meta").wait_for()
    page.wait_for_function("() => document.querySelector('#documents li[data-id=\"port-strike\"]').textContent.includes('2025-03-15')")
    assert "Baltic Wire" in doc.inner_text()
    doc.locator("button.doc-title").click()  # the article, with the corrected date
    page.wait_for_function("() => document.querySelector('#source-provenance').textContent.includes('corrected by hand')")
    assert "2025-03-15" in page.locator("#source-meta").inner_text()
    page.keyboard.press("Escape")  # back to the documents it was opened from
    assert page.locator("#docs").is_visible() and page.locator("#source-panel").is_hidden()
    assert page.evaluate("document.activeElement.classList.contains('doc-title')"), page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    reply = ask(page, "How long did the dock workers' strike at the port of Gdansk last?")
    assert "2025-03-15" in reply.locator(".citations").inner_text()


def test_documents_are_counted_newest_first(page):
    page.click("#toggle-docs")
    page.locator("#documents li.doc").first.wait_for()
    count = page.locator("#docs-count").inner_text()
    assert count.endswith("articles") and int(count.split()[0]) >= 5
    metas = page.locator("#documents .doc-meta").all_inner_texts()
    years = [m.split(" · ")[-1][:4] for m in metas]
    dated = [y for y in years if y.isdigit()]
    assert dated == sorted(dated, reverse=True) and dated
    assert years[-1] == "date"  # undated ones last ("date unknown")


def test_an_empty_archive_says_so_and_points_to_upload(browser, tmp_path, settings, embedder):
    from api.app import create_app
    from qa.archive import Archive

    s = settings.model_copy(update={"data_dir": tmp_path / "data", "seeds_dir": tmp_path / "no-seeds"})
    archive = Archive(s, embedder=embedder)
    errors: list[str] = []
    with serve(create_app(s, archive)) as url:
        pg = open_page(browser, url, errors)
        pg.locator("#empty-archive").wait_for()
        assert "archive is empty" in pg.locator("#empty-archive").inner_text()
        pg.click("#go-upload")
        assert pg.locator("#docs").is_visible() and pg.locator("#files").is_visible()
        pg.context.close()
    archive.close()
    assert not errors, errors


def test_dark_mode_follows_the_system_and_there_is_a_favicon(browser, site, output_dir):
    errors: list[str] = []
    pg = open_page(browser, site.url, errors, color_scheme="dark")
    ask(pg, QUESTION)
    background = pg.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 22, 29)", background
    pg.screenshot(path=str(output_dir / "dark.png"))
    icon = pg.locator("link[rel=icon]").get_attribute("href")
    assert pg.request.get(site.url + icon).headers["content-type"].startswith("image/svg")
    pg.context.close()
    assert not errors, errors


# --- a phone -----------------------------------------------------------------------------------

def test_phone_width(browser, site, output_dir):
    errors: list[str] = []
    page = open_page(browser, site.url, errors, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    reply = ask(page, QUESTION)
    assert "al-Hakim" in reply.inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(output_dir / "phone.png"))
    # Tap targets: every visible control at least 44 px high (a checkbox: its label; the inline
    # [n] markers aside: the citation card below opens the same article).
    page.click("#options summary")
    small = page.evaluate("""() => [...document.querySelectorAll('button, summary, select, input, textarea, a')]
        .filter(e => e.offsetParent !== null && !e.classList.contains('marker'))
        .map(e => e.type === 'checkbox' && e.closest('label') ? e.closest('label') : e)
        .map(e => [e.id || e.className || e.tagName, e.getBoundingClientRect().height])
        .filter(([, h]) => h < 44)""")
    assert not small, small
    page.click("#options summary")
    reply.locator(".citations button.cite").first.tap()
    page.locator("#source-text mark").wait_for()
    panel = box(page.locator("#source-panel"))
    assert (panel["x"], panel["y"], panel["width"], panel["height"]) == (0, 0, 390, 844)
    back = page.locator("#close-source")
    assert back.is_visible() and back.inner_text().strip().endswith("Back")
    assert box(back)["height"] >= 44 and box(back)["width"] >= 44
    page.screenshot(path=str(output_dir / "phone-article.png"))
    back.tap()
    assert page.locator("#source-panel").is_hidden()
    page.context.close()
    assert not errors, errors


# --- no inline script or style: the page works under a strict Content-Security-Policy -----------

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def test_the_page_works_under_a_strict_csp(browser, site):
    errors: list[str] = []
    ctx = browser.new_context(viewport={"width": 1280, "height": 860})
    pg = ctx.new_page()
    violations: list[str] = []
    pg.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))

    def with_csp(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})

    pg.route(site.url + "/", with_csp)
    pg.goto(site.url)
    reply = ask(pg, QUESTION)
    reply.locator(".citations button.cite").first.click()
    pg.locator("#source-text mark").wait_for()
    reply.locator("details.others summary").click()
    pg.click("#toggle-docs")
    pg.locator("#documents li.doc").first.wait_for()
    assert pg.evaluate("document.querySelectorAll('[style], [onclick], [onerror], [onload]').length") == 0
    assert not violations, violations
    ctx.close()
    assert not errors, errors


def test_an_html_title_from_an_upload_is_shown_as_text(page, site):
    """An og:title of '<img src=x onerror=alert(1)>' is stored verbatim (titles are untrusted
    text): the page shows it, as text, in the citation; nothing of it runs."""
    import httpx

    title = "<img src=x onerror=alert(1)>"
    html = (f'<html><head><meta property="og:title" content="{title.replace("<", "&lt;").replace(">", "&gt;")}">'
            "</head><body><p>The ferry to Gozo was cancelled on Monday because of high waves, the operator "
            "Gozo Channel said.</p></body></html>")
    r = httpx.post(site.url + "/documents", files=[("files", ("xss-title.html", html.encode(), "text/html"))])
    assert r.status_code == 201 and httpx.get(site.url + "/documents/xss-title").json()["title"] == title
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    reply = ask(page, "Why was the ferry to Gozo cancelled on Monday?")
    assert title in reply.locator(".citations").inner_text()
    assert reply.locator("img").count() == 0 and not dialogs
    httpx.delete(site.url + "/documents/xss-title")
