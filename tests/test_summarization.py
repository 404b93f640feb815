"""Summarisation: loaders, Unicode ROUGE, baselines, tiny neural models, CLI and SavedModel parity."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import GERMAN, ROOT, UKRAINIAN, run_cli
from rouge_score import rouge_scorer

from gallery.preprocessing.text import joined_sentences
from gallery.summarization import baselines, extractive
from gallery.summarization.data import load_documents
from gallery.summarization.predict import available_methods, summarize, supporting_sentences
from gallery.summarization.rouge import rouge
from gallery.summarization.tokenizer import load_tokenizer
from gallery.tasks import UserError

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
    logits = -np.arange(len(ids), dtype=float)  # earlier words score higher
    assert compressive.headline(tokenizer, text, tokens, logits, words=3) == "Shares in Allied"
    logits[index == words.index("shares")] = 10  # a repeat counts once, written as it first appears
    assert compressive.headline(tokenizer, text, tokens, logits, words=2) == "Shares in"
    text = "Car makers sell cars and the car's parts."  # plural and possessive forms are the same word
    tokens = compressive.pieces(tokenizer, text)
    index, words = compressive.source_words(tokenizer, text, *tokens)
    logits = np.where(np.isin(index, [words.index("cars"), words.index("car's")]), 10.0, -index.astype(float))
    assert compressive.headline(tokenizer, text, tokens, logits, words=2) == "Car makers"


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


def test_headline_length_maximises_the_expected_rouge1():
    import tensorflow as tf

    from gallery.summarization import compressive
    from gallery.summarization.export import expected_best_count_tf

    sure = 10 - compressive.CALIBRATION  # probability ≈ 1 after calibration
    assert compressive.expected_best_count([sure] * 3 + [-sure] * 4) == 3
    assert compressive.expected_best_count([sure] * 9) == 9
    assert compressive.expected_best_count([-sure - 3 * i for i in range(9)]) == 1  # unlikely, and fast falling
    assert compressive.expected_best_count([]) == 0
    for scores in np.sort(np.random.default_rng(0).normal(0, 2, (20, 15)), axis=1)[:, ::-1]:
        expected = compressive.expected_best_count(scores)
        assert int(expected_best_count_tf(tf.constant(scores, tf.float32))) == expected
        assert 1 <= expected <= len(scores)


def test_compressive_headline_favours_words_from_the_opening(tiny_summarizers):
    from gallery.summarization import compressive
    from gallery.summarization.predict import load_model

    _, tokenizer, _ = load_model(str(tiny_summarizers["compressive"]))
    text = " ".join(["opening", *(f"x{i}" for i in range(compressive.LEAD_WORDS + 10)), "closing"])
    tokens = compressive.pieces(tokenizer, text)
    index, words = compressive.source_words(tokenizer, text, *tokens)
    logits = np.zeros(len(tokens[0]))
    logits[index == 0] = 0.5
    logits[index == len(words) - 1] = 0.5 + compressive.LEAD_BONUS - 0.1  # the bonus outweighs this lead
    assert compressive.headline(tokenizer, text, tokens, logits, words=1) == "opening"
    logits[index == len(words) - 1] = 0.5 + compressive.LEAD_BONUS + 0.1
    assert compressive.headline(tokenizer, text, tokens, logits, words=1) == "closing"


def test_title_prior_counts_training_titles_and_lifts_their_words(tiny_summarizers, tmp_path, monkeypatch):
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
    assert prior["zebra"] > prior["sale"] > prior["ford"] > prior["share"]
    text = " ".join(["News of the day."] * 10 + ["A zebra escaped."])
    assert "zebra" not in summarize(text, "headline", "neural", trained)["text"]
    monkeypatch.setattr(compressive, "PRIOR_WEIGHT", 100.0)  # the prior outweighs the tagger, in both paths
    python = summarize(text, "headline", "neural", folder)["text"]
    export_saved_model(folder, tmp_path / "saved")
    serving = tf.saved_model.load(str(tmp_path / "saved")).signatures["serving_default"]
    assert "zebra" in python.split() and serving(text=tf.constant([text]))["headline"][0].numpy().decode() == python
