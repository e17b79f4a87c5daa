"""The answer stage on an article written for these tests, not a seed: each test is one kind of
question the extractive answerer must cut the right span for, with the real models."""
import pytest

from qa.ingest.readers import from_text

ARTICLE = """title: Lisbon summit delayed as strike grounds flights
source: Harbour Post
published: 2024-03-14

LISBON – Portugal's Prime Minister Luís Montenegro met Spain's Prime Minister Pedro Sánchez, Foreign Minister José Albares and Agriculture Minister Luis Planas in Lisbon on Wednesday.
The summit had been due to open on Monday, but it was postponed because air traffic controllers went on strike.
Montenegro succeeded António Costa, the former prime minister, after the March election.
Sánchez later flew to Porto, where he toured the shipyard near the old customs house.
Officials said the fishing quota dispute was the hardest item.
That's why the ministers agreed to meet again in June.
Tickets for the closing concert cost €45, and three extra ferries ran all night.
The Lisbon port authority paid NOK 3.2 million to a Norwegian shipyard for a new pilot boat.
Spain agreed to pay 450,000 euros toward the repair of the Tagus ferry pier.
"""


def archive_of(settings, embedder, folder, doc_id: str, text: str):
    """An archive of one article written for these tests, sharing the loaded model."""
    from qa.archive import Archive

    a = Archive(settings.model_copy(update={"data_dir": folder}), embedder=embedder)
    a.ingest_drafts([from_text(doc_id, text)])
    return a


def one_article(doc_id: str, text: str):
    """A module-wide fixture, named doc_id: an archive of that one article."""
    @pytest.fixture(scope="module", name=doc_id)
    def _one_article_archive(settings, embedder, tmp_path_factory):
        a = archive_of(settings, embedder, tmp_path_factory.mktemp(doc_id), doc_id, text)
        yield a
        a.close()
    return _one_article_archive


lisbon = one_article("lisbon", ARTICLE)


def short(answer) -> str:
    return answer.answer.removesuffix(" [1]")


def test_the_person_written_with_the_title(lisbon):
    # Not Costa, whom the article calls the *former* prime minister.
    assert short(lisbon.ask("Who is Portugal's prime minister?")) == "Luís Montenegro"


def test_a_title_of_another_country_does_not_count(lisbon):
    assert short(lisbon.ask("Who is Spain's prime minister?")) == "Pedro Sánchez"


def test_a_list_question_gets_the_whole_list(lisbon):
    got = short(lisbon.ask("Which ministers of Spain did Montenegro meet?"))
    for name in ("Pedro Sánchez", "José Albares", "Luis Planas"):
        assert name in got


def test_why_takes_the_cause_not_a_schedule(lisbon):
    # "had been due to open" is a schedule; "because" states the cause.
    assert short(lisbon.ask("Why was the summit postponed?")) == "because air traffic controllers went on strike"


def test_thats_why_points_back_to_the_sentence_before(lisbon):
    got = short(lisbon.ask("Why did the ministers agree to meet again in June?"))
    assert "fishing quota dispute" in got


def test_where_keeps_near_and_finds_the_event_place(lisbon):
    assert short(lisbon.ask("Where did Sánchez tour the shipyard?")) == "near the old customs house"


def test_a_sentence_about_someone_else_does_not_answer(lisbon):
    assert lisbon.ask("When did Costa visit Porto?").abstained


def test_a_price_question_wants_money_not_a_count(lisbon):
    assert short(lisbon.ask("What was the price of tickets for the closing concert?")) == "€45"


def test_irregular_verbs_support_their_question_word(lisbon):
    from qa.text.tokens import word_forms

    assert "met" in word_forms("meet") and "flew" in word_forms("fly")
    assert word_forms("Montenegro") == frozenset({"montenegro"})  # names don't inflect


@pytest.mark.parametrize("question, expected", [
    ("How much did the Lisbon port authority pay for the pilot boat?", "NOK 3.2 million"),  # a code before
    ("How much will Spain pay toward the repair of the ferry pier?", "450,000 euros"),  # a word after
])
def test_money_keeps_its_currency(lisbon, question, expected):
    assert short(lisbon.ask(question)) == expected


OSLO = """title: Solberg to take office as coalition deal is signed
source: Fjord Times
published: 2025-01-20

OSLO – Conservative leader Erna Solberg, 47, will take office on Thursday, the Storting said.
Solberg met Swedish officials and the Danish prime minister, Mette Frederiksen, in Oslo on Sunday.
"""


oslo = one_article("oslo", OSLO)


def test_when_is_answered_by_a_time_not_an_age(oslo):
    assert short(oslo.ask("When will Solberg take office?")).startswith("Thursday")


@pytest.mark.parametrize("question, expected", [
    # A Monday paper: 'will ... on Thursday' is the Thursday to come, '... on Sunday' the one before.
    ("When will Solberg take office?", "Thursday (23 January 2025)"),
    ("When did Solberg meet Mette Frederiksen in Oslo?", "Sunday (19 January 2025)"),
])
def test_a_relative_day_is_shown_as_its_calendar_day_and_cited_as_written(oslo, question, expected):
    answer = oslo.ask(question)
    assert short(answer) == expected
    quote = answer.citations[0].quote
    assert expected.split(" (")[0] in quote  # the citation quotes the sentence as written
    assert oslo.get("oslo").text[answer.citations[0].start: answer.citations[0].end] == quote


DUBLIN = """title: Dublin elects its youngest leader
source: Liffey Times
published: 2024-03-27

DUBLIN – Simon Harris became Ireland's youngest prime minister on Wednesday. The 37-year-old Harris replaced Leo Varadkar, who stepped down last week.
Harris, a former health minister, promised to build more homes. His deputy, Micheál Martin, is 63 years old.
"""


@pytest.mark.parametrize("question, expected", [
    ("How old is Simon Harris?", "37"),  # written "The 37-year-old Harris"
    ("How old is Micheál Martin?", "63"),  # written "is 63 years old"
])
def test_how_old_is_answered_by_the_years_and_cited_as_written(settings, embedder, tmp_path, question, expected):
    dublin = archive_of(settings, embedder, tmp_path, "dublin", DUBLIN)
    try:
        answer = dublin.ask(question)
    finally:
        dublin.close()
    assert short(answer) == expected
    assert expected in answer.citations[0].quote and "old" in answer.citations[0].quote


def test_who_is_answered_by_a_person_not_a_demonym(oslo):
    assert short(oslo.ask("Who did Solberg meet in Oslo?")) == "Mette Frederiksen"


GROUNDED = """title: Regulators ground Max 9 jets after a door plug blows out
source: Harbour Post
published: 2024-01-10

WASHINGTON – The Federal Aviation Administration grounded 171 Boeing 737 Max 9 jets on Saturday after a door plug blew out on an Alaska Airlines flight over Oregon.
United Airlines said inspections of its own Max 9 fleet had found loose bolts.
In other news, the late-night programme Evening Hour said the comedian Dana Whitlow will return as its host in the spring.
"""


grounded = one_article("grounded", GROUNDED)


def test_a_number_the_question_writes_is_not_the_count_asked_for(grounded):
    assert short(grounded.ask("How many Boeing 737 Max 9 jets were grounded?")) == "171"


def test_the_kind_asked_for_picks_the_entity_class(grounded):
    # No list says a comedian is a person: the embedder puts "comedian" nearest "person".
    assert short(grounded.ask("Which comedian will return as the host of Evening Hour?")) == "Dana Whitlow"


@pytest.mark.parametrize("kind, label", [("comedian", "person"), ("tech giant", "org"), ("island nation", "place"),
                                         ("film", "title"), ("month", "date")])
def test_an_entity_class_fits_the_kind_asked_for(embedder, kind, label):
    from qa.ask.extractive.reader import label_fit
    from qa.ask.extractive.typefit import PhraseVectors

    fit = label_fit(kind, PhraseVectors(embedder.encode))
    assert max(fit, key=fit.get) == label


SIEGE = """title: Rebels end the siege of the river port
source: Harbour Post
published: 2024-02-20

KARVA – Rebel fighters surrounded the river port of Karva on January 3, 2024, and cut its roads to the coast.
The army broke through the rebel lines six days later and reopened the coast road.
Aid lorries reached the port on February 12, 2024, the governor, Ana Petrov, said.
"""


siege = one_article("siege", SIEGE)


def test_how_many_days_is_answered_by_a_span_of_days_not_a_calendar_day(siege):
    # "January 3, 2024" is a date, as "six days later" is, but it says when, not how long; the
    # answer is the amount, still cited as written.
    answer = siege.ask("How many days after the rebels surrounded Karva did the army break through?")
    assert short(answer) == "six days"
    citation = answer.citations[0]
    assert "six days later" in citation.quote
    assert siege.get("siege").text[citation.start: citation.end] == citation.quote


def test_how_long_is_answered_by_the_amount_of_time(siege):
    from qa.reading import Trace

    # The reader's pick, whether or not its confidence clears the threshold: on a one-article
    # archive the calibration, fitted mostly on a news quiz, is low for right answers too.
    trace = Trace()
    siege.ask("How long after the rebels surrounded Karva did the army break through?", trace=trace)
    assert trace.candidate == "six days"


VISIT = """title: Iraqi leader in Tehran for trade talks
source: Harbour Post
published: 2020-07-22

TEHRAN – Iraqi Prime Minister Mustafa al-Kadhimi arrived in Tehran on Tuesday for talks on trade and security, at the invitation of President Hassan Rouhani.
Foreign Minister Mohammad Javad Zarif met al-Kadhimi at the airport and later said Iran wanted trade with Iraq to reach 20 billion dollars.
"""


visit = one_article("visit", VISIT)


def test_who_is_answered_by_the_person_written_with_the_role_asked_for(visit):
    # The question names two titles; the answer holds the one it asks about ("Iran's president"),
    # not the other ("Iraq's prime minister") nor a minister the sentence names beside them.
    assert short(visit.ask("Who was Iran's president when Iraq's prime minister came to Tehran?")) == "Hassan Rouhani"


def test_the_ranker_reads_the_features_the_reader_describes(archive):
    """Training and serving describe candidates alike: every feature the trees were fitted on
    (beyond the one-hot pairs a question may not have) is one describe() fills on the seeds."""
    from qa.ask.extractive.ranker import load_ranker
    from qa.reading import Trace

    described: set[str] = set()
    for question in ("Who invited Zarif to Baghdad in 2025?", "Which movement does Ammar al-Hakim lead?",
                     "When did Zarif arrive in Baghdad?", "How many people were killed?"):
        trace = Trace()
        archive.ask(question, trace=trace)
        described |= {k for _, f in trace.candidates for k in f}
    wanted = {f for f in load_ranker().features if not f.startswith(("wh=", "rule_kind="))}
    assert wanted <= described
