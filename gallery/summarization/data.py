"""News articles with reference summaries and headlines, English and Russian.

- `bbc`: BBC News Summary (Kaggle, CC0): `News Articles/<topic>/NNN.txt` (first line: headline)
  and `Summaries/<topic>/NNN.txt` (extractive reference). Read from the folder, its parent or the
  `.tar.gz`. Fixed split by file number: NNN % 10 == 0 → test, == 5 → validation, else train
  (221 / 223 / 1,781 articles).
- `ria`, `gazeta`: JSONL with `text` (RIA: HTML) and `title` (and Gazeta's `summary`). A folder
  may hold `train.jsonl`, `val.jsonl`/`validation.jsonl`, `test.jsonl`; a single file is split
  by line number like BBC.
- `ru_news`: 13,531 Russian articles with headlines (`ru_news_headlines.jsonl.gz`: `text`, `title`,
  `source`, `summary`, `title_in_text`), from the file or a folder holding it. Fixed split by a hash
  of the article text, so an article keeps its split whatever else the file holds: SHA-1 % 10 == 0
  → test, == 5 → validation, else train (1,320 / 1,356 / 10,855 articles). A headline repeated at
  the text's start is cut off (or a model learns to copy it), and so is what precedes Interfax's
  dateline (the headline, a subtitle, a link to another story, photo captions) and its links to
  other stories ("Есть обновление от …", "… Читать подробнее").
- `cnn_dailymail`, `xsum`: tfds, for users who can download.
"""

import dataclasses
import functools
import gzip
import hashlib
import json
import os
import re
import tarfile
from pathlib import Path

from gallery.errors import UserError
from gallery.preprocessing.text import clean_text, script_language

DATASETS = ("bbc", "ria", "gazeta", "ru_news", "cnn_dailymail", "xsum")
SPLITS = ("train", "validation", "test")
CACHE = Path(__file__).resolve().parents[2] / "data" / "cache"
RU_NEWS_FILE = "ru_news_headlines.jsonl.gz"
INTERFAX_DATELINE = re.compile(r"[А-ЯЁ][а-яё\-]+\. \d{1,2} [а-яё]+\. INTERFAX\.RU")
RELATED_LINK = re.compile(r"^(?:Есть обновление от [^\n]*|[^\n]*Читать подробнее)\n?", re.MULTILINE)  # other stories
TFDS_FIELDS = {"cnn_dailymail": ("article", "highlights"), "xsum": ("document", "summary")}


@dataclasses.dataclass
class Document:
    """One article: cleaned `text`, reference `summary` and `title` (either may be empty)."""

    id: str
    text: str
    summary: str = ""
    title: str = ""
    language: str = "en"
    source: str = ""  # the publisher, where the corpus names it


def split_of(number):
    """The fixed split of the item numbered `number`."""
    return "test" if number % 10 == 0 else "validation" if number % 10 == 5 else "train"


def resolve_source(dataset, data_dir=None):
    """The local file or folder to read `dataset` from, or None to download it (tfds)."""
    candidates = [data_dir] if data_dir else []
    if not data_dir and os.environ.get("GALLERY_DATA_DIR"):
        candidates.append(Path(os.environ["GALLERY_DATA_DIR"]) / dataset)
    if not data_dir:
        candidates.append(CACHE / dataset)
    for candidate in candidates:
        if Path(candidate).exists():
            return Path(candidate)
    if data_dir:
        raise FileNotFoundError(f"--data-dir {data_dir} does not exist.")
    return None


def _decode(data):
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


@functools.lru_cache(maxsize=2)
def _bbc_files(source):
    """{relative path: bytes} of the BBC text files under a folder or in a .tar.gz archive, read once per source."""
    if source.is_file():
        with tarfile.open(source) as tar:
            return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.name.endswith(".txt")}
    return {str(p.relative_to(source)): p.read_bytes() for p in source.rglob("*.txt")}


def load_bbc(source, split):
    files = _bbc_files(source)
    documents = []
    for name in sorted(files):
        match = re.search(r"News Articles/(\w+)/(\d+)\.txt$", name)
        if not match or split_of(int(match.group(2))) != split:
            continue
        topic, number = match.groups()
        article = clean_text(_decode(files[name]))
        title, _, body = article.partition("\n")
        summary = files.get(name.replace("News Articles/", "Summaries/"), b"")
        documents.append(Document(f"{topic}/{number}", body.strip(), clean_text(_decode(summary)), title.strip()))
    return documents


def _jsonl_lines(source, split):
    if source.is_dir():
        names = {"validation": ("validation.jsonl", "val.jsonl", "valid.jsonl")}.get(split, (f"{split}.jsonl",))
        path = next((source / n for n in names if (source / n).exists()), None)
        if path is None:
            raise FileNotFoundError(f"{source} has no {' or '.join(names)}.")
        return enumerate(path.read_text(encoding="utf-8").splitlines())
    lines = source.read_text(encoding="utf-8").splitlines()
    return ((i, line) for i, line in enumerate(lines) if split_of(i) == split)


def load_jsonl(source, split, dataset):
    documents = []
    for number, line in _jsonl_lines(source, split):
        if not line.strip():
            continue
        record = json.loads(line)
        text = clean_text(record.get("text", ""))
        documents.append(Document(f"{dataset}/{number}", text, clean_text(record.get("summary", "")),
                                  clean_text(record.get("title", "")), script_language(text)))
    return documents


def text_hash_split(text):
    """The fixed split of an article, from a hash of its text."""
    return split_of(int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16))


def without_title(text, title):
    """Cleaned `text` without its `title` at the start (its first line, or its first words)."""
    first, _, rest = text.partition("\n")
    if title and first.strip().lower() == title.lower():
        return rest.strip()
    if title and text.lower().startswith(title.lower()):
        return text[len(title):].lstrip(" .:;,!?—–-\n")
    return text


def ru_news_text(record):
    """The article's cleaned text, starting where its body starts."""
    text = clean_text(record.get("text", ""))
    if record.get("title_in_text"):
        text = without_title(text, clean_text(record.get("title", "")))
    dateline = INTERFAX_DATELINE.search(text[:2000])
    return RELATED_LINK.sub("", text[dateline.start():] if dateline else text).strip()


def _ru_news_path(source):
    if source.is_dir():
        path = source / RU_NEWS_FILE
        if not path.exists():
            raise FileNotFoundError(f"{source} has no {RU_NEWS_FILE}.")
        return path
    return source


def load_ru_news(source, split):
    path = _ru_news_path(source)
    opener = gzip.open if path.suffix == ".gz" else open
    documents = []
    with opener(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if not line.strip():
                continue
            record = json.loads(line)
            if text_hash_split(record.get("text", "")) != split:
                continue
            documents.append(Document(f"ru_news/{number}", ru_news_text(record), clean_text(record.get("summary") or ""),
                                      clean_text(record.get("title", "")), "ru", record.get("source", "")))
    return documents


def load_tfds(dataset, split):
    try:
        import tensorflow_datasets as tfds

        rows = tfds.as_numpy(tfds.load(dataset, split=split))
    except Exception as error:
        raise UserError(f"Could not download {dataset} with tfds ({type(error).__name__}). "
                        f"Offline, use --dataset bbc/ria/gazeta with --data-dir.") from None
    text_key, summary_key = TFDS_FIELDS[dataset]
    return [Document(f"{dataset}/{i}", clean_text(row[text_key].decode()), clean_text(row[summary_key].decode()))
            for i, row in enumerate(rows)]


def load_documents(dataset, data_dir=None, split="test", limit=None):
    """Documents of `split`, the first `limit` of them if given."""
    if dataset not in DATASETS:
        raise UserError(f"Unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}.")
    if split not in SPLITS:
        raise UserError(f"Unknown split {split!r}; choose one of {', '.join(SPLITS)}.")
    source = resolve_source(dataset, data_dir)
    if dataset in TFDS_FIELDS and source is None:
        documents = load_tfds(dataset, split)
    elif source is None:
        raise FileNotFoundError(f"No local copy of {dataset}: pass --data-dir (a folder or file), "
                                f"set $GALLERY_DATA_DIR, or put it in data/cache/{dataset}.")
    elif dataset == "bbc":
        documents = load_bbc(source, split)
    elif dataset == "ru_news":
        documents = load_ru_news(source, split)
    else:
        documents = load_jsonl(source, split, dataset)
    documents = [d for d in documents if d.text]
    if not documents:
        raise UserError(f"No {split} documents of {dataset} found in {source}.")
    return documents[:limit] if limit else documents
