"""The chat page in real headless Chromium (Debian's, driven by Playwright): ask, read the
cited sentence in its article, follow up, upload and ask, and no script from a document runs.
Screenshots go to test-output/. CI installs Chromium; elsewhere these skip without it, unless
BYLINE_REQUIRE_BROWSER=1 says they must run."""
import os
import shutil
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
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site(settings, embedder, tmp_path_factory):
    from api.app import create_app
    from qa.archive import Archive

    root = tmp_path_factory.mktemp("browser")
    s = settings.model_copy(update={"data_dir": root / "data", "seeds_dir": copy_seeds(root / "seeds")})
    archive = Archive(s, embedder=embedder)
    with serve(create_app(s, archive)) as base:
        yield base
    archive.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright starts Chromium with a new, empty temporary --user-data-dir of its own.
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(site)
    yield pg
    context.close()
    assert not errors, errors


def ask(page, question: str):
    page.fill("#question", question)
    page.press("#question", "Enter")
    last = page.locator("#messages li.assistant").last
    last.locator(".answer").wait_for()
    page.wait_for_function("() => !document.querySelector('#messages li.pending')")
    return last


def test_ask_see_the_answer_and_open_its_sentence(page, output_dir):
    reply = ask(page, "Who invited Zarif to Baghdad in 2025?")
    assert "al-Hakim" in reply.locator(".answer").inner_text()
    cite = reply.locator(".citations li").first
    assert "2025-02-07" in cite.inner_text()
    quote = cite.locator("blockquote").inner_text()
    page.screenshot(path=str(output_dir / "chat-answer.png"))
    reply.locator(".answer .marker").first.click()
    mark = page.locator("#source-text mark")
    mark.wait_for()
    assert mark.inner_text() == quote and "al-Hakim" in quote
    assert page.locator("#source-meta").inner_text().count("2025-02-07") == 1
    assert mark.is_visible()  # scrolled into view in the panel
    page.screenshot(path=str(output_dir / "chat-citation.png"))


def test_follow_up_uses_the_earlier_turn(page, output_dir):
    ask(page, "Who invited Zarif to Baghdad in 2025?")
    reply = ask(page, "What movement does he lead?")
    assert "Wisdom" in reply.locator(".answer").inner_text()
    assert "al-Hakim" in reply.locator(".understood").inner_text()
    page.screenshot(path=str(output_dir / "chat-follow-up.png"))
    # The conversation is kept and listed; reopening it shows both exchanges. Other tests ask
    # the same first question, so this one is picked by its id, not its title.
    current = page.locator("#conversations .conv.current")
    assert "Who invited Zarif" in current.inner_text()
    cid = current.get_attribute("data-id")
    page.click("#new-conversation")
    page.wait_for_function("() => !document.querySelector('#conversations .conv.current')")
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


def test_phone_width(browser, site, output_dir):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(site)
    reply = ask(page, "Who invited Zarif to Baghdad in 2025?")
    assert "al-Hakim" in reply.inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(output_dir / "phone.png"))
    context.close()
