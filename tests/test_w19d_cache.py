"""Row-level invalidation and write-through of the person and consent caches (#19, helper w19d): a write
this process commits through the ORM drops only the rows it wrote and leaves their fresh values in the
cache; nothing stale is ever served, also to a reader that raced the write."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from bot.consent import ConsentCache, ConsentGate
from db import cache as db_cache
from db import messenger
from db.engine import Database, write
from db.models import ConsentLog, User
from db.repositories import users as users_repo
from db.repositories.users import PersonCache
from services.consent import LastConsent
from tests.conftest import REDIS_URL


@pytest.fixture
def sqlite_only(db: Database) -> None:
    if not db.is_sqlite or REDIS_URL:
        pytest.skip("the person and consent caches serve SQLite only")


@pytest.fixture
def people(db: Database, sqlite_only: None) -> PersonCache:
    return PersonCache(database=db)


@pytest.fixture
def consents(db: Database, sqlite_only: None) -> ConsentCache:
    return ConsentCache(db)


async def read_person(db: Database, people: PersonCache, tg_id: int) -> User | None:
    async with db.session() as s:
        return await users_repo.current(s, tg_id, people)


def key(tg_id: int) -> tuple[str, int]:
    return (messenger.current(), tg_id)


async def added(db: Database, *people: User) -> None:
    async with db.session() as s, write(s):
        s.add_all(people)


async def consented(db: Database, person: User) -> User:
    """``person`` added with their consent given, in one write."""
    async with db.session() as s, write(s):
        s.add(person)
        await s.flush()
        s.add(ConsentLog(user_id=person.id, action="given", policy_version="1.0"))
    return person


async def anna_and_boris_read(db: Database, people: PersonCache) -> None:
    """Анна (1) and Борис (2) registered, and both read into the person cache."""
    await added(db, User(tg_id=1, full_name="Анна"), User(tg_id=2, full_name="Борис"))
    for tg_id in (1, 2):
        await read_person(db, people, tg_id)
        assert people.get(key(tg_id)) is not db_cache.MISSING


async def rename(db: Database, tg_id: int, full_name: str) -> None:
    """The person edits their name: an ORM UPDATE of their row, committed."""
    async with db.session() as s, write(s):
        user = await users_repo.by_tg_id(s, tg_id)
        assert user is not None
        user.full_name = full_name


async def test_a_new_person_and_their_consent_are_cached_fresh_after_the_commit(
    db: Database, people: PersonCache, consents: ConsentCache
) -> None:
    assert await read_person(db, people, 1) is None
    assert people.get(key(1)) is None  # "not known yet" is cached
    user = await consented(db, User(tg_id=1, messenger=messenger.current(), full_name="Анна"))
    cached = people.get(key(1))
    assert isinstance(cached, User) and cached.full_name == "Анна", "not the stale None, the new row"
    assert consents.get(user.id) == LastConsent("given", "1.0")


async def test_another_persons_write_keeps_the_first_persons_entries(
    db: Database, people: PersonCache, consents: ConsentCache
) -> None:
    await anna_and_boris_read(db, people)
    async with db.session() as s, write(s):
        two = await users_repo.by_tg_id(s, 2)
        assert two is not None
        two.full_name = "Борис Петров"
        s.add(ConsentLog(user_id=two.id, action="given", policy_version="1.0"))
    assert people.get(key(1)).full_name == "Анна", "one person's write left the other's entry"
    assert people.get(key(2)).full_name == "Борис Петров"
    assert consents.get(two.id) == LastConsent("given", "1.0")


async def test_a_profile_edit_is_seen_by_the_next_update(db: Database, people: PersonCache) -> None:
    await added(db, User(tg_id=1, full_name="Анна", interest_topics=["a"]))
    assert (await read_person(db, people, 1)).full_name == "Анна"  # type: ignore[union-attr]
    async with db.session() as s, write(s):
        user = await users_repo.current(s, 1, people)
        assert user is not None
        user.full_name = "Анна Иванова"
        user.interest_topics = ["a", "b"]
    seen = await read_person(db, people, 1)
    assert seen is not None and seen.full_name == "Анна Иванова" and seen.interest_topics == ["a", "b"]


async def test_a_withdrawal_is_seen_at_once(db: Database, consents: ConsentCache) -> None:
    user = await consented(db, User(tg_id=1))
    async with db.session() as s, write(s):
        s.add(ConsentLog(user_id=user.id, action="withdrawn", policy_version="1.0"))
    assert consents.get(user.id) == LastConsent("withdrawn", "1.0")


async def test_core_and_text_writes_still_clear_the_whole_table(db: Database, people: PersonCache) -> None:
    await anna_and_boris_read(db, people)
    async with db.session() as s, write(s):
        await s.execute(update(User).where(User.tg_id == 1).values(full_name="Анна К."))
    assert len(people) == 0 or people.get(key(1)).full_name == "Анна К."
    assert (await read_person(db, people, 1)).full_name == "Анна К."  # type: ignore[union-attr]
    await read_person(db, people, 2)
    async with db.session() as s, write(s):
        await s.execute(text("UPDATE users SET full_name = 'Б.' WHERE tg_id = 2"))
    assert (await read_person(db, people, 2)).full_name == "Б."  # type: ignore[union-attr]


async def test_an_update_of_an_uncached_persons_key_drops_the_cached_unknown(
    db: Database, people: PersonCache
) -> None:
    await added(db, User(tg_id=7))
    assert await read_person(db, people, 8) is None  # 8 is not known yet (cached None)
    async with db.session() as s, write(s):
        user = await users_repo.by_tg_id(s, 7)
        assert user is not None
        user.tg_id = 8  # the key itself changes: the table is cleared
    assert (await read_person(db, people, 8)) is not None


async def test_a_reader_that_started_before_a_write_does_not_store_the_old_row(
    db: Database, people: PersonCache
) -> None:
    await added(db, User(tg_id=1, full_name="Анна"))
    await read_person(db, people, 1)
    people.forget_rows([("key", key(1))])
    generation = people.generation  # a reader begins: it reads the old row ...
    async with db.session() as s:
        old = users_repo._snapshot(await users_repo.by_tg_id(s, 1))  # type: ignore[arg-type]
    await rename(db, 1, "Анна Иванова")  # ... meanwhile the person edits their profile
    people.store(key(1), old, generation)  # ... and then tries to keep what it read
    assert (await read_person(db, people, 1)).full_name == "Анна Иванова"  # type: ignore[union-attr]


async def test_a_reader_between_the_statement_and_the_commit_does_not_keep_the_old_row(
    db: Database, people: PersonCache
) -> None:
    await added(db, User(tg_id=1, full_name="Анна"))
    async with db.session() as s, write(s):
        user = await users_repo.by_tg_id(s, 1)
        assert user is not None
        user.full_name = "Анна Иванова"
        await s.flush()  # the UPDATE ran, not committed yet: another reader sees the old row and keeps it
        assert (await read_person(db, people, 1)).full_name == "Анна"  # type: ignore[union-attr]
    assert (await read_person(db, people, 1)).full_name == "Анна Иванова"  # type: ignore[union-attr]


async def test_a_rolled_back_write_leaves_nothing_stale(db: Database, people: PersonCache) -> None:
    await added(db, User(tg_id=1, full_name="Анна"))
    await read_person(db, people, 1)
    with pytest.raises(RuntimeError):
        async with db.session() as s, write(s):
            user = await users_repo.by_tg_id(s, 1)
            assert user is not None
            user.full_name = "Никто"
            await s.flush()
            raise RuntimeError
    assert (await read_person(db, people, 1)).full_name == "Анна"  # type: ignore[union-attr]


async def test_a_cache_of_another_database_gets_no_write_through(db: Database, sqlite_only: None) -> None:
    other = PersonCache(database=object())
    other.store(key(1), None, other.generation)
    await added(db, User(tg_id=1))
    assert other.get(key(1)) is db_cache.MISSING, "dropped, and not filled from another database"


async def test_the_gate_does_not_keep_a_consent_from_a_snapshot_older_than_a_withdrawal(
    db: Database, consents: ConsentCache
) -> None:
    user = await consented(db, User(tg_id=1))
    gate = ConsentGate("1.0", "", consents)
    async with db.session() as reader:
        await reader.execute(select(User))  # the update read the person: its read snapshot begins
        async with db.session() as s, write(s):  # meanwhile a withdrawal, written by a Core statement
            await s.execute(
                text(
                    "INSERT INTO consent_log (user_id, action, policy_version, at)"
                    " VALUES (:u, 'withdrawn', '1.0', '2026-12-09 04:00:00')"
                ),
                {"u": user.id},
            )
        assert consents.get(user.id) is db_cache.MISSING
        assert await gate._last(reader, user.id) == LastConsent("withdrawn", "1.0")
    assert consents.get(user.id) == LastConsent("withdrawn", "1.0")
