"""Sign-in protection (django-axes): 10 failures lock an account, wherever they come from, and
separately an address, whatever accounts it tries; API and admin alike; a success forgives
the account; failures are logged without the password and counted."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def _no_rate_limit_in_the_way(settings) -> None:
    """The per-address rate limit (10/min) would answer first; it is tested on its own."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "1000/min"}


def sign_in(email: str, password: str, address: str = "127.0.0.1") -> object:
    return APIClient(REMOTE_ADDR=address).post(
        LOGIN, {"email": email, "password": password}, format="json"
    )


def counted(name: str, surface: str) -> float:
    return REGISTRY.get_sample_value(name, {"surface": surface}) or 0.0


def test_ten_failures_from_ten_addresses_lock_the_account_even_for_the_right_password() -> None:
    victim, bystander = UserFactory(), UserFactory()
    statuses = [sign_in(victim.email, "guess", f"10.0.0.{n}").status_code for n in range(10)]

    right = sign_in(victim.email, PASSWORD, "10.0.1.1")

    assert statuses == [401] * 9 + [429]  # the tenth failure locks
    assert right.status_code == 429
    assert right.json()["error"]["code"] == "too_many_failed_sign_ins"
    assert 890 <= int(right["Retry-After"]) <= 900  # 15 minutes from the last failure
    assert sign_in(bystander.email, PASSWORD, "10.0.0.1").status_code == 200  # not the address


def test_the_account_is_one_whatever_the_case_of_the_email() -> None:
    victim = UserFactory(email="ada@example.com")
    for n in range(10):
        sign_in("ADA@Example.com" if n % 2 else "ada@example.com ", "guess", f"10.0.0.{n}")
    assert sign_in("ada@example.com", PASSWORD, "10.0.2.2").status_code == 429
    assert victim.email == "ada@example.com"


def test_ten_failures_from_one_address_lock_that_address_not_the_accounts() -> None:
    people = [UserFactory() for _ in range(10)]
    for person in people:
        assert sign_in(person.email, "guess", "10.6.6.6").status_code in {401, 429}

    assert sign_in(people[0].email, PASSWORD, "10.6.6.6").status_code == 429
    assert sign_in(people[0].email, PASSWORD, "10.7.7.7").status_code == 200  # elsewhere
    assert sign_in(UserFactory().email, PASSWORD, "10.7.7.7").status_code == 200


def test_a_forged_forwarded_for_does_not_reset_the_address() -> None:
    people = [UserFactory() for _ in range(11)]
    statuses = [
        APIClient()
        .post(
            LOGIN,
            {"email": person.email, "password": "guess"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
        .status_code
        for n, person in enumerate(people)
    ]
    assert statuses[9:] == [429, 429]


def test_a_success_forgives_the_account() -> None:
    user = UserFactory()
    for round_ in range(2):
        for n in range(9):
            assert sign_in(user.email, "guess", f"10.{round_}.0.{n}").status_code == 401
        assert sign_in(user.email, PASSWORD, "10.9.0.1").status_code == 200
    assert not AccessAttempt.objects.filter(username=user.email).exists()


def test_the_lockout_ends_after_the_cool_off() -> None:
    user = UserFactory()
    for n in range(10):
        sign_in(user.email, "guess", f"10.0.0.{n}")
    assert sign_in(user.email, PASSWORD, "10.1.1.1").status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert sign_in(user.email, PASSWORD, "10.1.1.1").status_code == 200


def test_guessing_during_a_lockout_does_not_extend_it() -> None:
    user = UserFactory()
    for n in range(10):
        sign_in(user.email, "guess", f"10.0.0.{n}")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    for n in range(5):
        assert sign_in(user.email, "guess", f"10.2.0.{n}").status_code == 429

    assert 50 <= int(sign_in(user.email, PASSWORD, "10.3.0.1")["Retry-After"]) <= 60


def test_the_admin_sign_in_is_locked_too(client: Client) -> None:
    """Before: 30 wrong passwords for the staff account were 30 x 200, then the right one
    worked. Now the tenth locks, and the right password gets a 429 page, no session."""
    staff = UserFactory(is_staff=True, is_superuser=True)
    statuses = [
        client.post(ADMIN_LOGIN, {"username": staff.email, "password": "guess"}).status_code
        for _ in range(10)
    ]

    right = client.post(ADMIN_LOGIN, {"username": staff.email, "password": PASSWORD})

    assert statuses == [200] * 9 + [429]
    assert right.status_code == 429
    assert b"Too many failed sign-ins" in right.content
    assert int(right["Retry-After"]) > 0
    assert client.get("/admin/").status_code == 302  # still signed out
    assert sign_in(staff.email, PASSWORD, "10.4.4.4").status_code == 429  # one account


def test_the_admin_still_signs_in_and_forgives_the_account(client: Client) -> None:
    staff = UserFactory(is_staff=True, is_superuser=True)
    for _ in range(5):
        client.post(ADMIN_LOGIN, {"username": staff.email, "password": "guess"})

    signed_in = client.post(ADMIN_LOGIN, {"username": staff.email, "password": PASSWORD})

    assert signed_in.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert not AccessAttempt.objects.filter(username=staff.email).exists()


def test_failures_are_logged_without_the_password_and_counted(log_lines, client: Client) -> None:
    user = UserFactory()
    failures = counted("collabhub_sign_in_failures_total", "api")
    admin_failures = counted("collabhub_sign_in_failures_total", "admin")
    lockouts = counted("collabhub_sign_in_lockouts_total", "api")
    secret = "correct-horse-battery-staple-42"

    for n in range(11):
        sign_in(user.email, secret, f"10.0.0.{n}")
    client.post(ADMIN_LOGIN, {"username": "someone@example.com", "password": secret})

    lines = log_lines()
    failed = [line for line in lines if line["message"] == "sign-in failed"]
    assert [line["account"] for line in failed[:2]] == [user.email] * 2
    assert failed[0]["surface"] == "api" and failed[0]["client"] == "10.0.0.0"
    assert any(line["message"] == "sign-in locked out" for line in lines)
    assert secret not in str(lines)
    assert not AccessAttempt.objects.filter(post_data__contains=secret).exists()
    assert counted("collabhub_sign_in_failures_total", "api") == failures + 11
    assert counted("collabhub_sign_in_failures_total", "admin") == admin_failures + 1
    assert counted("collabhub_sign_in_lockouts_total", "api") >= lockouts + 2


def test_a_success_keeps_the_addresss_failures_against_other_accounts() -> None:
    me, others = UserFactory(), [UserFactory() for _ in range(6)]
    for person in others:
        sign_in(person.email, "guess", "10.8.8.8")
    for _ in range(3):
        sign_in(me.email, "my-typo", "10.8.8.8")
    assert sign_in(me.email, PASSWORD, "10.8.8.8").status_code == 200  # forgives my 3

    statuses = [sign_in(UserFactory().email, "guess", "10.8.8.8").status_code for _ in range(4)]

    assert statuses == [401, 401, 401, 429]  # 6 + 4: the address's tenth failure


def test_hostile_sign_in_input_is_a_4xx(settings) -> None:
    """An email longer than any (axes keeps 255 characters) and, behind one proxy, forwarded
    addresses that are not bare IPs: refused cleanly and still counted (on PostgreSQL the
    address column is ``inet``)."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    long_email = "x" * 300 + "@example.com"
    assert sign_in(long_email, "guess").status_code == 401
    for forwarded, seen in (
        ("203.0.113.7:4711", "203.0.113.7"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("not-an-address", "127.0.0.1"),
    ):
        response = APIClient().post(
            LOGIN,
            {"email": "nobody@example.com", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR=forwarded,
        )
        assert response.status_code == 401
        assert AccessAttempt.objects.filter(ip_address=seen).exists()


def test_an_unknown_account_is_logged_as_a_digest(log_lines) -> None:
    """People type their password into the email field: a name that is no account's is
    never written, only a keyed digest of it (the same for the same name)."""
    user = UserFactory()
    typed = "Tr0ub4dor&3-not-an-email"
    sign_in(typed, "x")
    sign_in(typed, "x")
    sign_in(user.email, "x")

    failed = [line for line in log_lines() if line["message"] == "sign-in failed"]
    accounts = [line["account"] for line in failed]
    assert accounts[0] == accounts[1] and accounts[0].startswith("unknown:")
    assert accounts[2] == user.email
    assert typed.casefold() not in str(log_lines()).casefold()
