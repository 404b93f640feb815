"""Summarisation: loaders, Unicode ROUGE, baselines, tiny neural models, CLI and SavedModel parity."""

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import GERMAN, ROOT, UKRAINIAN, run_cli
from rouge_score import rouge_scorer

from gallery import cards
from gallery.errors import UserError
from gallery.preprocessing.text import clean_text, joined_sentences
from gallery.summarization import baselines, extractive
from gallery.summarization.data import load_documents
from gallery.summarization.predict import available_methods, summarize, supporting_sentences
from gallery.summarization.rouge import rouge
from gallery.summarization.tokenizer import load_tokenizer

ENGLISH = (ROOT / "apps" / "examples" / "summarization" / "english_city_bikes.txt").read_text(encoding="utf-8")
RUSSIAN = (ROOT / "apps" / "examples" / "summarization" / "russian_river_bridge.txt").read_text(encoding="utf-8")


def test_bbc_split_is_fixed_and_complete(shared_data):
    archive = shared_data / "bbc_news_summary.tar.gz"
    sizes = {split: len(load_documents("bbc", archive, split)) for split in ("train", "validation", "test")}
    assert sizes == {"train": 1781, "validation": 223, "test": 221}
    first = load_documents("bbc", archive, "test", limit=1)[0]
    assert first.id == "business/010" and first.title == "Bank holiday boosts retail sales" or first.title
    assert first.summary and first.text and first.language == "en" and first.title not in first.text[:40]


def test_ria_jsonl_is_cleaned_and_split(shared_data):
    documents = {s: load_documents("ria", shared_data / "ria_20.jsonl", s) for s in ("train", "validation", "test")}
    assert [len(d) for d in documents.values()] == [16, 2, 2]
    document = documents["test"][0]
    assert document.language == "ru" and "<p>" not in document.text and "&nbsp;" not in document.text
    assert document.title and "риа новости" in document.text


def test_ru_news_split_by_text_hash_without_repeated_titles(shared_data, tmp_path):
    import gzip

    from gallery.summarization.data import text_hash_split

    interfax = ("\nЗаголовок матча\nПодзаголовок матча\nЕсть обновление от 10:42 →Другая новостьМосква. 12 сентября. "
                "INTERFAX.RU - Команда выиграла.\nСпорт19 июля 2020\"Зенит\" победил \"Спартак\"Читать подробнее\nОна лидирует.")
    rows = [{"text": interfax, "title": "Заголовок матча", "source": "interfax_sport", "title_in_text": True},
            {"text": "Заголовок номер два. Дальше текст.", "title": "Заголовок номер два", "source": "rt",
             "title_in_text": True, "summary": "Лид."},
            *({"text": f"Статья номер {i}.", "title": f"Заголовок {i}", "source": "ng"} for i in range(60))]
    path = tmp_path / "ru_news_headlines.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    splits = {s: load_documents("ru_news", tmp_path, s) for s in ("train", "validation", "test")}
    found = {d.title: (split, d) for split, documents in splits.items() for d in documents}
    assert len(found) == len(rows) and all(split == text_hash_split(row["text"]) for row in rows
                                          for split in [found[row["title"]][0]])
    assert found["Заголовок матча"][1].text == "Москва. 12 сентября. INTERFAX.RU - Команда выиграла.\nОна лидирует."
    assert (found["Заголовок номер два"][1].text, found["Заголовок номер два"][1].source) == ("Дальше текст.", "rt")
    assert baselines.first_words(found["Заголовок матча"][1].text) == "Команда выиграла. Она лидирует"  # no dateline
    real = {s: load_documents("ru_news", shared_data / "ru_news_headlines.jsonl.gz", s) for s in ("test", "validation")}
    assert len(real["test"]) >= 1000 and not {d.text for d in real["test"]} & {d.text for d in real["validation"]}
    assert {"rt", "ng", "interfax_sport"} <= {d.source for d in real["test"]}
    assert not any(d.title and d.text.startswith(d.title) for d in real["test"])


def test_gazeta_folder_of_jsonl_files(tmp_path):
    row = {"text": "Первое предложение. Второе предложение.", "summary": "Первое предложение.", "title": "Заголовок"}
    for name in ("train.jsonl", "val.jsonl", "test.jsonl"):
        (tmp_path / name).write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    [document] = load_documents("gazeta", tmp_path, "validation")
    assert (document.summary, document.title, document.language) == ("Первое предложение.", "Заголовок", "ru")
    with pytest.raises(UserError, match="Unknown dataset"):
        load_documents("nope", tmp_path)


def test_unicode_rouge_scores_cyrillic_that_the_default_tokenizer_drops():
    prediction, reference = "в канаде вытекли 60 тысяч литров нефти", "в канаде из нефтепровода вытекла нефть"
    default = rouge_scorer.RougeScorer(["rouge1"]).score(reference, prediction)["rouge1"].fmeasure
    ours = rouge(prediction, reference, "ru")
    assert default == 0.0
    assert ours["rouge1"] > 40  # в, канаде, and нефти/нефть share a Snowball stem
    assert rouge("The cats running", "the cat runs", "en")["rouge1"] == pytest.approx(100.0)  # stemmed


def test_baselines_pick_in_document_order():
    sentences = ["Cats purr.", "Dogs bark at cats and dogs.", "Dogs and cats play.", "Rain falls."]
    assert baselines.lead(sentences, 2) == [0, 1]
    assert baselines.summary_length(15) == 6 and baselines.summary_length(1) == 1
    assert baselines.textrank(sentences, 2) == [1, 2]  # the two most connected sentences
    assert baselines.first_words("one two three", 2) == "one two"
    assert baselines.first_words('"Most trips are short," she said.', 4) == "Most trips are short"
    assert baselines.first_words("москва, 1 дек — риа новости. пожар в цехе локализован", 3) == "пожар в цехе"


def test_highlighted_sentences_are_the_fewest_holding_the_headline():
    sentences = ["The council approved shared bikes.", "Bikes are quick in this city, said the council.",
                 "The city will publish figures.", "Rain falls."]
    assert supporting_sentences(sentences, "council approves bikes", "en") == [0]  # 1 adds no new word
    assert supporting_sentences(sentences, "city council approves bikes", "en") == [0, 1]  # 1 adds "city"
    assert supporting_sentences(sentences, "city figures", "en") == [2]
    assert supporting_sentences(sentences, "bikes figures", "en") == [0, 2]
    assert supporting_sentences(sentences, "sunny weather", "en") == []
    assert supporting_sentences(["Совет одобрил велосипеды.", "Дождь."], "Совет одобрил", "ru") == [0]


@pytest.mark.parametrize("method", ["lead", "textrank"])
def test_baseline_methods_work_in_both_languages(method):
    for text, language in ((ENGLISH, "en"), (RUSSIAN, "ru")):
        result = summarize(text, "summary", method)
        assert result["language"] == language
        assert result["text"] == joined_sentences([result["sentences"][i] for i in result["chosen"]])
        headline = summarize(text, "headline", method)
        assert 0 < len(headline["text"].split()) <= 10


@pytest.mark.parametrize("text, language, name", [(GERMAN, "de", "German"), (UKRAINIAN, "uk", "Ukrainian")])
def test_text_in_a_language_without_models_gets_a_baseline_and_a_note(text, language, name, tiny_summarizers):
    assert available_methods("headline", language) == ("lead", "textrank")
    result = summarize(text, "headline")
    assert (result["language"], result["method"]) == (language, "lead")
    assert f"looks {name}" in result["note"] and "English and Russian only" in result["note"]
    with pytest.raises(UserError, match="No neural summary model"):
        summarize(text, "summary", "neural")  # not the English or Russian model


def test_neural_summary_and_headline(tiny_summarizers):
    summary = summarize(ENGLISH, "summary", "neural")
    assert len(summary["chosen"]) == baselines.summary_length(len(summary["sentences"]))
    headline = summarize(ENGLISH, "headline", "neural")
    assert isinstance(headline["text"], str) and len(headline["text"]) < 400
    with pytest.raises(UserError, match="No neural summary model"):
        summarize(RUSSIAN, "summary", "neural")
    assert "learned from only 30 articles" in summary["note"]  # the tiny test model is flagged as a demo


def test_default_method_is_neural_only_where_a_model_is_shipped(tiny_summarizers):
    assert [summarize(ENGLISH, kind)["method"] for kind in ("summary", "headline")] == ["neural", "neural"]
    russian = [summarize(RUSSIAN, kind) for kind in ("summary", "headline")]
    assert [result["method"] for result in russian] == ["textrank", "lead"]
    assert [result["note"] for result in russian] == [None, None]


def test_sentence_centrality_is_textranks_summed_similarity(tiny_summarizers):
    tokenizer = load_tokenizer(str(tiny_summarizers["summary"] / "tokenizer.model"))
    sentences = ["The council approved the bikes.", "The council approved the bikes and the city will publish figures.",
                 "The city will publish figures.", "Rain falls."]
    layer = extractive.SentenceCentrality(tokenizer.vocab_size())
    layer.build((None, None, None))
    counted = extractive.word_pieces(tokenizer)
    layer.counted.assign(counted)
    ids = extractive.document_ids(tokenizer, sentences)
    bags = [{i for i in row if counted[i]} for row in ids[:len(sentences)]]
    similarity = np.array([[len(a & b) / (np.log(len(a) + 1) + np.log(len(b) + 1)) if a is not b else 0.0
                            for b in bags] for a in bags])
    expected = similarity.sum(1) / similarity.sum(1).mean()
    centrality = np.asarray(layer(ids[None]))[0, :, 0]
    np.testing.assert_allclose(centrality[:len(sentences)], expected, rtol=1e-5)
    assert np.argmax(centrality) == 1 and np.argmin(centrality[:4]) == 3 and not centrality[4:].any()


def test_cli_predict_evaluate_and_bad_input(tiny_summarizers, shared_data, tmp_path):
    result = run_cli("predict", "summarization", ROOT / "apps/examples/summarization/english_city_bikes.txt",
                     "--method", "textrank", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1])["chosen"]
    (tmp_path / "big.txt").write_text("word " * 220_000)
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "empty.txt").write_bytes(b"")
    for name, message in (("big.txt", "limit"), ("binary.txt", "binary"), ("empty.txt", "empty")):
        bad = run_cli("predict", "summarization", tmp_path / name)
        assert bad.returncode == 2 and message in bad.stderr and "Traceback" not in bad.stderr
    evaluated = run_cli("evaluate", "summarization", "--model", tiny_summarizers["summary"], "--dataset", "bbc",
                        "--data-dir", shared_data / "bbc_news_summary.tar.gz", "--limit", 5, "--json")
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    report = json.loads(evaluated.stdout.strip().splitlines()[-1])
    assert set(report["baselines"]) == {"lead", "lead3", "textrank"} and report["examples"] == 5
    assert 0 < report["metrics"]["rouge2"] <= 1


def test_evaluation_reports_sources_and_shows_random_examples():
    from gallery.summarization.data import Document
    from gallery.summarization.evaluate import MIN_SOURCE_DOCUMENTS, examples, per_source

    documents = [Document(str(i), "Текст.", title=f"Заголовок {i}", language="ru",
                          source="rt" if i < MIN_SOURCE_DOCUMENTS else f"site{i}") for i in range(60)]
    outputs = {"neural": ([f"Заголовок {i}" for i in range(60)], 1.0), "lead": (["Текст"] * 60, 1.0)}
    figures = per_source(outputs, documents, "headline")
    assert list(figures) == ["rt", "other"] and figures["other"]["documents"] == 60 - MIN_SOURCE_DOCUMENTS
    assert figures["rt"]["neural"] == 1.0 and figures["rt"]["lead"] == 0.0
    assert per_source(outputs, [Document(d.id, d.text, title=d.title) for d in documents], "headline") == {}
    shown = examples(outputs["neural"][0], documents, "headline")
    assert len(shown) == 20 and shown == examples(outputs["neural"][0], documents, "headline")  # seed fixed
    assert all(row["headline"] == row["title"] for row in shown) and examples([], [], "summary") == []


def test_decoding_is_chosen_on_validation_and_written_to_the_card(tiny_summarizers, shared_data, tmp_path):
    import shutil

    from gallery.summarization.evaluate import DECODING_GRID

    folder = tmp_path / "tagger"
    shutil.copytree(tiny_summarizers["compressive"], folder)
    common = ("evaluate", "summarization", "--model", folder, "--dataset", "bbc", "--data-dir",
              shared_data / "bbc_news_summary.tar.gz", "--limit", 4, "--choose-decoding")
    refused = run_cli(*common, "--split", "test")
    assert refused.returncode == 2 and "never on the test split" in refused.stderr
    chosen = run_cli(*common, "--split", "validation", "--json")
    assert chosen.returncode == 0, chosen.stderr[-2000:]
    card = json.loads((folder / "card.json").read_text())
    assert card["decoding_choice"]["documents"] == 4 and card["decoding_choice"]["split"] == "validation"
    assert all(card["decoding"][name] in values for name, values in DECODING_GRID.items())
    assert json.loads(chosen.stdout.strip().splitlines()[-1])["decoding"] == card["decoding"]


SERVE = """
import json, sys
import tensorflow as tf
import tensorflow_text  # registers the sentencepiece ops
serving = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
texts = json.loads(sys.stdin.read())
out = serving(text=tf.constant(texts))
print(json.dumps({key: [v.decode() for v in value.numpy()] for key, value in out.items()}))
"""


@pytest.mark.parametrize("model", ["summary", "headline", "compressive"])
def test_savedmodel_text_matches_python_in_a_fresh_process(tiny_summarizers, shared_data, tmp_path, model):
    exported = run_cli("export", "summarization", "--model", tiny_summarizers[model], "--out", tmp_path / model,
                       "--json")
    assert exported.returncode == 0, exported.stderr[-2000:]
    kind = "summary" if model == "summary" else "headline"
    assert json.loads(exported.stdout.strip().splitlines()[-1])["output"] == kind
    texts = [d.text for d in load_documents("bbc", shared_data / "bbc_news_summary.tar.gz", "test", limit=3)]
    texts += [ENGLISH, RUSSIAN, "<p>Short&nbsp;text. Two sentences!</p>", "«Ёлки» — 100% $5bn, ok…",
              "A title\nA line\nAnother"]  # sentences without end punctuation keep their line breaks
    served = subprocess.run([sys.executable, "-c", SERVE, str(tmp_path / model)], input=json.dumps(texts),
                            capture_output=True, text=True, cwd=ROOT)
    assert served.returncode == 0, served.stderr[-2000:]
    saved = json.loads(served.stdout.strip().splitlines()[-1])[kind]
    assert saved == [summarize(text, kind, "neural", tiny_summarizers[model])["text"] for text in texts]


def test_shipped_russian_headlines_are_the_same_from_the_savedmodel(shared_data, tmp_path, monkeypatch):
    """The Russian default: its SavedModel, in a fresh process, returns the Python path's headlines."""
    monkeypatch.setenv("GALLERY_MODELS_DIR", str(ROOT / "models"))  # the shipped models, not the tiny ones
    folder = ROOT / "models" / "summarization" / "ru_news_headline_compressive"
    assert available_methods("headline", "ru") == ("neural", "lead", "textrank")
    exported = run_cli("export", "summarization", "--model", folder, "--out", tmp_path / "ru", "--json")
    assert exported.returncode == 0, exported.stderr[-2000:]
    texts = [d.text for d in load_documents("ru_news", shared_data / "ru_news_headlines.jsonl.gz", "test")[:6]]
    texts += ["МОСКВА, 14 марта. /ТАСС/. Правительство России утвердило новые правила продажи лекарств в аптеках.",
              "Москва. 31 мая. INTERFAX.RU - Сборная России по хоккею обыграла команду Канады в финале турнира.",
              "Дождь. Снег. Ветер."]
    served = subprocess.run([sys.executable, "-c", SERVE, str(tmp_path / "ru")], input=json.dumps(texts),
                            capture_output=True, text=True, cwd=ROOT)
    assert served.returncode == 0, served.stderr[-2000:]
    python = [summarize(text, "headline") for text in texts]
    assert json.loads(served.stdout.strip().splitlines()[-1])["headline"] == [r["text"] for r in python]
    assert all(r["method"] == "neural" and r["language"] == "ru" and r["note"] is None for r in python)
    assert "ТАСС" not in python[-3]["text"] and "INTERFAX" not in python[-2]["text"]
    assert python[-1]["text"] == "Дождь. Снег. Ветер"  # no phrase of 4 words: Lead's


def test_compressive_labels_and_headline_words(tiny_summarizers):
    from gallery.summarization import compressive
    from gallery.summarization.predict import load_model

    _, tokenizer, _ = load_model(str(tiny_summarizers["compressive"]))
    text = "Shares in Allied Domecq's drinks firm have risen, shares said. «Ёлки» rose 15%."
    ids, labels = compressive.token_labels(tokenizer, text, "Domecq shares rise", "en")
    tokens = compressive.pieces(tokenizer, text)
    index, words = compressive.source_words(tokenizer, text, *tokens)
    assert words[:4] == ["Shares", "in", "Allied", "Domecq's"] and "Ёлки" in words and "15%" in words
    assert {words[w] for w in index[labels == 1]} == {"Shares", "Domecq's", "shares"}


def phrase_of(tokenizer, text, sure, language="en"):
    """The headline of `text` when exactly the words in `sure` score high."""
    from gallery.summarization import compressive

    tokens = compressive.pieces(tokenizer, text)
    index, words = compressive.source_words(tokenizer, text, *tokens)
    logits = np.where(np.isin(np.array(words, object)[index], list(sure)), 10.0, -10.0)
    return compressive.headline(tokenizer, text, tokens, logits, language=language)


def test_compressive_headline_is_one_readable_phrase(tiny_summarizers):
    from gallery.summarization.predict import load_model

    _, tokenizer, _ = load_model(str(tiny_summarizers["compressive"]))
    text = "The bank said on Monday that profits rose. Shares in the bank fell sharply in London trading."
    sure = {"bank", "said", "profits", "rose"}
    assert phrase_of(tokenizer, text, sure) == "Bank said on Monday that profits rose"  # articles go, capitalised
    assert phrase_of(tokenizer, text, {"profits", "rose"}) == "Said on Monday that profits rose"  # not "that"/"Monday"
    assert phrase_of(tokenizer, text, {"Shares", "fell", "sharply"}) == "Shares in bank fell sharply"  # not "... in"
    assert phrase_of(tokenizer, text, sure | {"Shares", "fell"}) == "Bank said on Monday that profits rose"  # 1 sentence
    repeated = "Bank shares fell and bank profits fell sharply today."
    assert phrase_of(tokenizer, repeated, {"Bank", "shares", "profits", "fell"}) == "Shares fell and bank profits"
    assert phrase_of(tokenizer, "Sales rose. Costs fell. Jobs went.", {"Sales"}) == "Sales rose. Costs fell. Jobs went"
    survey = "A mass of people have embraced digital TV and DVDs, the survey said."
    assert phrase_of(tokenizer, survey, {"mass", "embraced", "digital", "TV", "DVDs"}) == (
        "Mass of people embraced digital TV and DVDs")  # a subject, and no "have"
    lanes = "The council has approved a plan to build 40 new cycle lanes."
    assert phrase_of(tokenizer, lanes, {"council", "approved", "plan", "build", "40", "lanes"}) == (
        "Council approved plan to build 40 new cycle lanes")  # not "… to build 40": its noun follows
    console = "Sony will launch its PlayStation 3 console in May."
    assert phrase_of(tokenizer, console, {"Sony", "launch", "PlayStation", "3"}) == "Sony will launch its PlayStation 3"
    ru = "Москва. 31 мая. INTERFAX.RU - Сборная России по хоккею обыграла команду Канады в финале турнира."
    assert phrase_of(tokenizer, ru, {"Сборная", "России", "обыграла", "Канады"}, "ru") == (
        "Сборная России по хоккею обыграла команду Канады")


def test_headlines_leave_out_auxiliaries_in_python_and_the_graph():
    import tensorflow as tf

    from gallery.summarization import compressive
    from gallery.summarization.export import dropped_words_tf

    cases = {"Winn-Dixie has filed for bankruptcy": "Winn-Dixie filed for bankruptcy",
             "The pension system has been branded inadequate": "pension system branded inadequate",
             "Sales have been falling": "Sales falling", "It has been a success": "It has been success",
             "Federated is to buy a rival": "Federated to buy rival", "They are to discuss a tax": "They are to discuss tax",
             "Willis is suing the studios": "Willis suing studios", "He has nothing": "He has nothing",
             "Firm which was founded in 1990": "Firm which was founded in 1990", "Is": "Is", "": ""}
    for text, headline in cases.items():
        lower = text.lower().split()
        dropped = compressive.dropped_words(lower, "en")
        assert " ".join(w for w, d in zip(text.split(), dropped) if not d) == headline
        assert (dropped_words_tf(tf.constant(lower, tf.string), "en").numpy() == dropped).all(), text
    assert not compressive.dropped_words(["он", "был", "избран"], "ru").any()


def test_an_unreadable_copy_transformer_headline_gives_way_to_lead(tiny_summarizers, monkeypatch):
    import tensorflow as tf

    from gallery.summarization import compressive, predict
    from gallery.summarization.export import readable_tf

    cases = {("Apple cost hits apple over iPod", "en"): False,  # a word repeated
             ("Growth in Japan", "en"): False, ("Shares in Allied Domecq rise sharply in", "en"): False,
             ("Council approves new city bikes plan", "en"): True, ("Цены на нефть выросли", "ru"): True,
             ("Цены на нефть выросли", "en"): False, ("Oil prices rise again today", "ru"): False}
    for (headline, language), expected in cases.items():
        assert compressive.readable(headline, language) is expected, headline
        assert bool(readable_tf(tf.constant(headline), language)) is expected, headline
    for written, readable in (("apple cost hits apple over ipod", False), ("council approves new bikes plan", True)):
        monkeypatch.setattr(predict, "decode", lambda tokenizer, ids, written=written: written)
        result = summarize(ENGLISH, "headline", "abstractive")
        assert (result["text"] == written) is readable
        assert ("not a readable one" in result["note"]) is not readable
        if not readable:
            assert result["text"] == baselines.first_words(clean_text(ENGLISH))


def test_phrase_tables_agree_in_python_and_the_graph():
    import tensorflow as tf

    from gallery.summarization import compressive
    from gallery.summarization.export import phrase_table_tf

    rng = np.random.default_rng(0)
    for n in (1, 5, 30, 80):
        keys = rng.integers(0, n, n)
        arrays = (rng.random(n).astype(np.float32), rng.random(n) > 0.05, rng.random(n) > 0.2, rng.random(n) < 0.1,
                  rng.random(n) < 0.3, rng.random(n) < 0.1, compressive.previous_same(keys).astype(np.int32))
        value, last = compressive.phrase_table(*arrays, 5)
        value_tf, last_tf = phrase_table_tf(*(tf.constant(a) for a in arrays), 5.0)
        np.testing.assert_allclose(value_tf.numpy(), value, rtol=1e-5)
        assert (last_tf.numpy() == last).all()
    assert list(compressive.previous_same(["a", "b", "a", "a"])) == [-1, -1, 0, 2]


def test_final_fit_trains_on_train_and_validation(tiny_summarizers):
    card = json.loads((tiny_summarizers["compressive"] / "card.json").read_text())
    assert card["training"]["train_documents"] == 60 and card["training"]["validation_documents"] == 0
    assert "training and validation splits" in card["description"]
    assert json.loads((tiny_summarizers["summary"] / "card.json").read_text())["training"]["validation_documents"] == 30


def test_ensemble_members_learn_apart_and_are_averaged(tiny_summarizers):
    from gallery.summarization import compressive
    from gallery.summarization.train import masked_binary_crossentropy

    model = compressive.build_tagger(50, 8, members=2)
    ids = np.array([[5, 9, 9, 3, 0, 0], [7, 1, 2, 4, 8, 6]], np.int32)
    stacked = np.asarray(model(ids, training=False))
    assert stacked.shape == (2, 2, 6) and not np.allclose(stacked[:, 0], stacked[:, 1])  # own random starts
    np.testing.assert_allclose(compressive.mean_of_members(model)(ids), stacked.mean(axis=1), atol=1e-6)
    labels = np.array([[1, 0, 0, 1, -1, -1], [0, 0, 1, 0, 0, 1]], np.float32)  # each member's own loss
    np.testing.assert_allclose(np.mean(masked_binary_crossentropy(labels, stacked)),
                               np.mean([masked_binary_crossentropy(labels, stacked[:, m]) for m in range(2)]), rtol=1e-5)
    shipped_like = json.loads((tiny_summarizers["compressive"] / "card.json").read_text())
    assert "an ensemble of 2" in shipped_like["title"] and shipped_like["training"]["config"]["members"] == 2
    wrong = run_cli("train", "summarization", "--kind", "summary", "--members", 2, "--limit", 2)
    assert wrong.returncode == 2 and "--members" in wrong.stderr


def test_compressive_headline_favours_phrases_from_the_opening(tiny_summarizers):
    from gallery.summarization import compressive
    from gallery.summarization.predict import load_model

    _, tokenizer, _ = load_model(str(tiny_summarizers["compressive"]))
    filler = " ".join(f"x{i}" for i in range(compressive.Decoding().lead_words))
    text = f"Opening words stay here. {filler}. Closing words stay here."
    tokens = compressive.pieces(tokenizer, text)
    index, words = compressive.source_words(tokenizer, text, *tokens)
    logits = np.where(np.isin(np.array(words, object)[index], ["Opening", "Closing", "words", "stay", "here"]), 0.5, -9)
    assert compressive.headline(tokenizer, text, tokens, logits) == "Opening words stay here"
    later = compressive.Decoding(lead_bonus=0.0, lead_words=0)
    logits[index == words.index("Closing")] += 0.1
    assert compressive.headline(tokenizer, text, tokens, logits, decoding=later) == "Closing words stay here"


def test_title_prior_counts_training_titles_and_lifts_their_words(tiny_summarizers, tmp_path):
    import shutil

    import tensorflow as tf

    from gallery.summarization import compressive
    from gallery.summarization.data import Document
    from gallery.summarization.export import export_saved_model
    from gallery.summarization.predict import load_model

    trained = tiny_summarizers["compressive"]
    assert (trained / compressive.TITLE_WORDS_FILE).exists()
    assert json.loads((trained / "card.json").read_text())["title_words"]["name"] == compressive.TITLE_WORDS_FILE
    _, tokenizer, _ = load_model(str(trained))
    documents = [Document("a", "Ford's car sales rise. Shares rise.", title="Ford sales rise"),
                 Document("b", "Car sales fall at Fords.", title="Car sales fall")]
    counts = compressive.title_word_counts(tokenizer, documents)
    assert counts["ford"] == [2, 1] and counts["sale"] == [2, 2] and counts["share"] == [1, 0]
    folder = tmp_path / "model"
    shutil.copytree(trained, folder)
    compressive.write_title_words(folder / compressive.TITLE_WORDS_FILE, {**counts, "zebra": [50, 50]})
    prior = compressive.title_prior(str(folder))
    assert prior["zebra"] > prior["sale"] > prior["ford"] and "share" not in prior  # in one article: no prior
    text = " ".join(["News of the day came early."] * 8 + ["A zebra escaped from the zoo."])
    assert "zebra" not in summarize(text, "headline", "neural", trained)["text"].lower()
    decoding = compressive.decoding_of(cards.load_card(folder))
    cards.update(folder, decoding={**dataclasses.asdict(decoding), "prior_weight": 100.0})  # in both paths
    python = summarize(text, "headline", "neural", folder)["text"]
    export_saved_model(folder, tmp_path / "saved")
    serving = tf.saved_model.load(str(tmp_path / "saved")).signatures["serving_default"]
    assert "zebra" in python.lower().split() and serving(text=tf.constant([text]))["headline"][0].numpy().decode() == python
