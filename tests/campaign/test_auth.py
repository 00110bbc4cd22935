"""Campaign passwords: argon2id hashes, old scrypt hashes, and the throttling of wrong passwords (store and app login form)."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from canvass.campaign.auth import ThrottlePolicy, hash_password, needs_rehash, verify_password
from canvass.campaign.store import open_store
from canvass.errors import TooManyAttemptsError

APP = str(Path(__file__).resolve().parents[2] / "app.py")
RIGHT = "bonne réponse"


def test_hashes_are_argon2id_and_old_scrypt_hashes_still_verify():
    fresh = hash_password(RIGHT)
    assert fresh.startswith("$argon2id$") and fresh != hash_password(RIGHT) and RIGHT not in fresh
    assert verify_password(RIGHT, fresh) and not verify_password("bonne reponse", fresh) and not needs_rehash(fresh)
    salt = secrets.token_bytes(16)
    old = f"scrypt$16384$8$1${salt.hex()}${hashlib.scrypt(RIGHT.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32).hex()}"
    assert verify_password(RIGHT, old) and not verify_password("faux", old) and needs_rehash(old)
    assert not verify_password(RIGHT, "scrypt$garbage") and not verify_password(RIGHT, "$argon2id$garbage")
    with pytest.raises(ValueError, match="empty"):
        hash_password("")


def test_policy_waits_grow_then_lock_out():
    policy = ThrottlePolicy()
    assert [policy.wait(n) for n in range(0, 9)] == [0, 1, 2, 4, 8, 300, 600, 1200, 2400]
    assert policy.wait(30) == policy.max_lockout == 3600
    assert policy.wait(49, everyone=True) == 0 and policy.wait(50, everyone=True) == 300


def test_five_wrong_passwords_lock_the_client_out(url):
    policy = ThrottlePolicy()
    with open_store(url, throttle=policy) as store:
        campaign = store.create_campaign("Quimper", RIGHT, author="alice")
        moment = 1_000_000.0
        for failures in range(1, 5):
            assert store.login(campaign, "faux", client="192.0.2.1", now=moment) is False
            with pytest.raises(TooManyAttemptsError) as caught:  # even the right password waits (1, 2, 4, 8 s)
                store.login(campaign, RIGHT, client="192.0.2.1", now=moment + policy.wait(failures) - 0.5)
            assert caught.value.retry_after == pytest.approx(0.5)
            moment += policy.wait(failures)
        assert store.login(campaign, "faux", client="192.0.2.1", now=moment) is False  # the fifth
        with pytest.raises(TooManyAttemptsError) as caught:
            store.login(campaign, RIGHT, client="192.0.2.1", now=moment + 1)
        assert caught.value.french == "Trop de tentatives : réessayez dans 5 minutes."
        assert str(caught.value) == "too many wrong passwords: try again in 5 minutes"
        assert store.login(campaign, RIGHT, client="192.0.2.99", now=moment + 1)  # another client is not locked out
        # the lockout over, one more wrong password doubles it
        assert store.login(campaign, "faux", client="192.0.2.1", now=moment + 300) is False
        with pytest.raises(TooManyAttemptsError, match="10 minutes"):
            store.login(campaign, RIGHT, client="192.0.2.1", now=moment + 301)
        # the right password after the lockout opens the campaign and clears the count
        assert store.login(campaign, RIGHT, client="192.0.2.1", now=moment + 900)
        assert store.login(campaign, "faux", client="192.0.2.1", now=moment + 901) is False
        with pytest.raises(TooManyAttemptsError, match="1 second"):
            store.login(campaign, RIGHT, client="192.0.2.1", now=moment + 901.5)
        # only a hash of the client's address is stored
        with store._read() as connection:
            clients = connection.execute(sa.text("SELECT client FROM login_failures")).scalars().all()
        assert clients and not any("192.0.2" in client for client in clients)


def test_wrong_passwords_from_many_clients_lock_the_campaign(url):
    policy = ThrottlePolicy(campaign_attempts=8)
    with open_store(url, throttle=policy) as store:
        campaign = store.create_campaign("Brest", RIGHT, author="alice")
        other = store.create_campaign("Autre", RIGHT, author="bob")
        for index in range(8):
            assert store.login(campaign, f"essai {index}", client=f"198.51.100.{index}", now=5000.0 + index) is False
        with pytest.raises(TooManyAttemptsError, match="5 minutes"):
            store.login(campaign, RIGHT, client="203.0.113.7", now=5010.0)
        assert store.login(other, RIGHT, client="203.0.113.7", now=5010.0)  # other campaigns are not affected
        assert store.login(campaign, RIGHT, client="203.0.113.7", now=5010.0 + 300)
        # counts older than forget_after are forgotten
        assert store.login(campaign, "faux", client="203.0.113.8", now=5400.0) is False
        assert store.login(campaign, RIGHT, client="203.0.113.8", now=5400.0 + policy.forget_after + 1)


def test_parallel_wrong_passwords_are_counted_before_checking(url):
    """Tries sent together by one client cannot all get past the throttle: each is counted before the slow hash check."""
    with open_store(url) as store:
        campaign = store.create_campaign("Parallèle", RIGHT, author="alice")
    results: list[object] = []
    barrier = threading.Barrier(8)

    def attempt(index: int) -> None:
        with open_store(url) as mine:
            barrier.wait()
            try:
                results.append(mine.login(campaign, f"faux {index}", client="192.0.2.50"))
            except TooManyAttemptsError as error:
                results.append(error)

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 8
    assert results.count(False) == 1 and sum(isinstance(result, TooManyAttemptsError) for result in results) == 7


def test_login_form_shows_the_lockout_in_french(tmp_path, monkeypatch):
    monkeypatch.setenv("CANVASS_DATA", str(tmp_path))
    monkeypatch.setenv("CANVASS_PASSWORD", RIGHT)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("CANVASS_CAMPAIGN", raising=False)
    # four wrong passwords from this browser in the last 30 s, spaced by the growing delays (1, 2, 4 s)
    with open_store(tmp_path / "campagne.sqlite") as store:
        campaign = store.create_campaign("demo", RIGHT, author="test")
        start = time.time() - 30
        for offset in (0, 1, 3, 7):
            assert store.login(campaign, "mauvais", client="inconnu", now=start + offset) is False
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.text_input(key="login_password").input("mauvais")
    at.button[0].click().run()
    assert [error.value for error in at.error] == ["Mot de passe incorrect."]
    at.text_input(key="login_password").input(RIGHT)
    at.button[0].click().run()
    assert [error.value for error in at.error] == ["Trop de tentatives : réessayez dans 5 minutes."]
    assert len(at.sidebar.radio) == 0
