"""Numbers with nouns: every plural key (found in the catalogs) renders the right Russian and English
form for 0, 1, 2, 5, 11, 21, 22, 25 and 101; no other Russian text puts a noun right after a number; and
a few real screens show «1 получатель» and «5 получателей» through the dispatcher."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, create_i18n, load_catalog
from services.plural import keyed_text, plural
from tests.conftest import register

ROOT = Path(__file__).resolve().parent.parent
NUMBERS = (0, 1, 2, 5, 11, 21, 22, 25, 101)


def ru_form(n: int) -> int:
    """The Russian rule, written out here on its own (not read from the catalogs' Plural-Forms):
    0 for 1, 21, 101 (not 11); 1 for 2–4, 22–24 (not 12–14); 2 for the rest."""
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


# Word forms after the count as a careful native speaker writes them, one row per noun and case:
# (for 1/21/101, for 2–4/22–24, for 0/5–20/25). A new plural key with a new word adds its row here.
RU_WORDS = {
    # nominative / accusative: «1 символ, 2 символа, 5 символов», «за 1 день»
    ("символ", "символа", "символов"),
    ("знак", "знака", "знаков"),
    ("день", "дня", "дней"),
    ("час", "часа", "часов"),
    ("минуту", "минуты", "минут"),
    ("файл", "файла", "файлов"),
    ("получатель", "получателя", "получателей"),
    ("человек", "человека", "человек"),
    ("идею", "идеи", "идей"),
    ("голос", "голоса", "голосов"),
    # genitive after «до», «от», «не больше», «для»: «до 1 символа, до 2 символов, до 5 символов»
    ("символа", "символов", "символов"),
    ("знака", "знаков", "знаков"),
    ("дня", "дней", "дней"),
    ("файла", "файлов", "файлов"),
    ("автора", "авторов", "авторов"),
    ("человека", "человек", "человек"),
}
WORD_AFTER_N = re.compile(r"\{n\} (?:\{\w+\} )?([^\W\d_]+)")


def plural_entries(lang: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Every plural entry of a language (msgid_plural), from every .po file: (key, forms)."""
    for path in sorted((LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fp:
            for message in read_po(fp, locale=lang):
                if isinstance(message.id, tuple):
                    yield message.id[0], tuple(message.string)


RU = dict(plural_entries("ru"))
EN = dict(plural_entries("en"))


def word_after_n(text: str) -> str:
    match = WORD_AFTER_N.search(text)
    assert match, f"no word after {{n}} in {text!r}"
    return match.group(1)


def test_there_are_plural_keys_in_both_languages() -> None:
    assert len(RU) >= 60
    assert set(RU) == set(EN)
    for key, forms in RU.items():
        assert len(forms) == 3 and all("{n}" in f for f in forms), key
        assert EN[key][0] != EN[key][1] and all("{n}" in f for f in EN[key]), key


@pytest.mark.parametrize("key", sorted(RU))
def test_russian_forms_follow_the_rule(key: str) -> None:
    forms = RU[key]
    words = tuple(word_after_n(f) for f in forms)
    assert words in RU_WORDS, f"{key}: {words} is not a checked set of forms (one, few, many)"
    assert len(set(words)) > 1
    i18n = create_i18n()
    values = {name: "X" for f in forms for name in re.findall(r"\{(\w+)\}", f) if name != "n"}
    with i18n.context(), i18n.use_locale("ru"):
        for n in NUMBERS:
            text = plural(i18n.gettext, key, n, **values)
            assert f"{n} {words[ru_form(n)]}" in text, (key, n, text)
            assert "{" not in text


@pytest.mark.parametrize("key", sorted(EN))
def test_english_forms_follow_the_rule(key: str) -> None:
    words = tuple(word_after_n(f) for f in EN[key])
    i18n = create_i18n()
    values = {name: "X" for f in EN[key] for name in re.findall(r"\{(\w+)\}", f) if name != "n"}
    with i18n.context(), i18n.use_locale("en"):
        for n in NUMBERS:
            assert f"{n} {words[0 if n == 1 else 1]}" in plural(i18n.gettext, key, n, **values), (key, n)


def test_a_domain_error_with_a_count_is_plural() -> None:
    i18n = create_i18n()
    with i18n.context(), i18n.use_locale("ru"):
        assert "от 2 до 21 символа" in keyed_text(i18n.gettext, "reg.bad_name", {"n": 21})
        assert "от 2 до 60 символов" in keyed_text(i18n.gettext, "reg.bad_name", {"n": 60})
        # a count given to a key that is not plural still finds its text
        assert keyed_text(i18n.gettext, "common.cancelled", {"n": 1}) == i18n.gettext("common.cancelled")


# --- no noun right after a number outside plural keys -----------------------------------------------

# Placeholders that hold words, not counts.
TEXT_PLACEHOLDERS = {
    "id",  # an object's number is a label («Б-5», «К-12»: services/numbers.py), never a count
    "number",
    "title",
    "name",
    "name_en",
    "resource",
    "organisation",
    "reason",
    "when",
    "day",
    "time",
    "place",
    "what",
    "who",
    "where",
    "kind",
    "topic",
    "question",
    "text",
    "purpose",
    "stars",
    "rating",
    "query",
    "district",
    "start",
    "end",
    "phone",
    "username",
    "outcome",
    "format",
    "org",
    "files",
    "version",
    "operator",
    "changes",
    "group",
    "month",
    "bar",
    "eta",
    "eta_in",
    "took",
    "by",
    "staff",
    "status",
    "event_time",
    "lead",
    "value",
    "slot",
    "notice",
    "cutoff",
    "quota",
    "org_quota",
    "hours",
    "closed",
    "approval",
    "active",
    "min_label",
    "authors",
    "supporters",
    "horizon",
    "age",
    "deadline",
    "until",
    "notice_min",
    "limit_min",
    "left_min",
    "cutoff_min",
    "code",
    "link",
    "url",
    "date",
    "period",
    "categories",
    "category",
    "summary",
    "role",
    "person",
    "label",
    "item",
    "items",
    "line",
    "lines",
}
# Words that may follow a count: units, prepositions, verbs, «года» after a year.
FINE_AFTER_COUNT = {
    "ч",
    "мин",
    "с",
    "%",
    "₽",
    "из",
    "до",
    "по",
    "на",
    "в",
    "и",
    "или",
    "а",
    "от",
    "свободно",
    "получат",
    "года",
    "г",
}
NUMBER_THEN_WORD = re.compile(r"(?<![№#])\{(\w+)\}\)?[ \t]*([а-яё]+\.?)", re.I)


def plain_ru_texts() -> Iterator[tuple[str, str]]:
    for path in sorted((LOCALES_DIR / "ru" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fp:
            for message in read_po(fp, locale="ru"):
                if message.id and isinstance(message.id, str):
                    yield message.id, str(message.string)


def test_no_plain_text_puts_a_noun_after_a_count() -> None:
    found = []
    for key, text in plain_ru_texts():
        for name, word in NUMBER_THEN_WORD.findall(text):
            if name in TEXT_PLACEHOLDERS or word.lower().rstrip(".") in FINE_AFTER_COUNT:
                continue
            found.append(f"{key}: {{{name}}} {word}")
    assert not found, "a count followed by a noun needs a plural key:\n" + "\n".join(found)


def test_the_lint_catches_what_it_should() -> None:
    bad = "Рассылка запущена: {count} получателей. Не больше {days} дн."
    hits = [(n, w) for n, w in NUMBER_THEN_WORD.findall(bad) if w.rstrip(".") not in FINE_AFTER_COUNT]
    assert hits == [("count", "получателей."), ("days", "дн.")]


def test_code_uses_plural_keys_through_the_helper() -> None:
    """A plural key read with the plain gettext would show the key itself; every key given to
    plural() is a plural key."""
    plain = re.compile(r"""\b_\(\s*f?["']([a-z][a-z0-9_.]*)["']\s*\)""")
    through = re.compile(r"""\bplural\(\s*_\s*,\s*["']([a-z][a-z0-9_.]*)["']""")
    wrong, missing = [], []
    for folder in ("bot", "handlers", "keyboards", "services"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            wrong += [f"{path.name}: {k}" for k in plain.findall(source) if k in RU]
            missing += [f"{path.name}: {k}" for k in through.findall(source) if k not in RU]
    assert not wrong and not missing, (wrong, missing)


def test_the_catalogs_merge_plural_keys_and_refuse_a_key_twice(tmp_path: Path) -> None:
    header = (LOCALES_DIR / "ru" / "LC_MESSAGES" / "numbers.po").read_text(encoding="utf-8").split("\n\n")[0]
    folder = tmp_path / "ru" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    entry = 'msgid "x.count"\nmsgid_plural "x.count"\nmsgstr[0] "{n} файл"\nmsgstr[1] "{n} файла"\nmsgstr[2] "{n} файлов"\n'
    (folder / "a.po").write_text(header + "\n\n" + entry, encoding="utf-8")
    (folder / "b.po").write_text(header + '\n\nmsgid "x.plain"\nmsgstr "просто"\n', encoding="utf-8")
    catalog = load_catalog(tmp_path / "ru")
    assert [catalog.ngettext("x.count", "x.count", n).format(n=n) for n in (1, 3, 5)] == [
        "1 файл",
        "3 файла",
        "5 файлов",
    ]
    assert catalog.gettext("x.plain") == "просто"
    (folder / "c.po").write_text(header + '\n\nmsgid "x.count"\nmsgstr "снова"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="defined twice"):
        load_catalog(tmp_path / "ru")


# --- real screens -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("people", "shown"), [(1, "1 получатель."), (5, "5 получателей.")])
async def test_broadcast_started_counts_recipients(staff, db, people: int, shown: str) -> None:
    from tests.test_broadcasts import add_people, start_broadcast

    await add_people(db, people)
    await start_broadcast(staff)
    await staff.press("Далее")
    await staff.press("Отправить")
    assert f"Рассылка №1 запущена: {shown}" in staff.last_text


@pytest.mark.parametrize(
    ("lead", "shown"), [("1 час", "за 1 час"), ("3 часа", "за 3 часа"), ("15 минут", "за 15 минут")]
)
async def test_reminder_lead_is_written_out(client, lead: str, shown: str) -> None:
    await register(client)
    await client.send("/settings")
    assert "Напоминания: включены, за сутки" in client.last_text
    await client.press("За сколько напоминать")
    assert {"▫️ 2 дня", "✅ сутки"} <= set(client.buttons())
    await client.press(lead, exact=False)
    assert f"Теперь напоминаем {shown}" in client.alerts()[0]


@pytest.mark.parametrize(("limit", "shown"), [(1, "отправить 1 идею,"), (5, "отправить 5 идей,")])
async def test_idea_intro_fills_the_daily_limit(client, settings, limit: int, shown: str) -> None:
    settings.ideas_daily_limit = limit
    await register(client)
    await client.send("/idea")
    text = client.all_text()
    assert f"В сутки можно {shown} сегодня осталось: {limit}." in text
    assert "• название — до 100 символов;" in text and "до 5 файлов: фото" in text


@pytest.mark.parametrize(
    ("n", "shown"),
    [(1, "поддержал уже 1 человек!"), (3, "поддержали уже 3 человека!"), (5, "поддержали уже 5 человек!")],
)
def test_outbox_renders_a_plural_notice(n: int, shown: str) -> None:
    """A queued notice whose params carry n (the idea's milestone) is rendered as a plural key."""
    from services.outbox import render
    from tests.conftest import TZ

    payload = {"text": "ideas.notify.milestone", "params": {"title": "Сквер", "id": 1, "n": n}}
    i18n = create_i18n()
    with i18n.context(), i18n.use_locale("ru"):
        text, _buttons = render(payload, i18n.gettext, TZ)
    assert text == f"👍 Вашу идею «Сквер» {shown}"
