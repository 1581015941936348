"""The renewal schedule of `RenewingToken`, on a clock the test moves."""

from __future__ import annotations

import pytest

from imagedash.yc import RenewingToken, Unavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Issuer:
    """Stands in for IAM: hands out numbered tokens with a set lifetime, or fails."""

    def __init__(self, lifetime: float) -> None:
        self.lifetime = lifetime
        self.calls = 0
        self.failing = False

    def __call__(self) -> tuple[str, float]:
        self.calls += 1
        if self.failing:
            raise Unavailable("could not reach the IAM endpoint")
        return f"token-{self.calls}", self.lifetime


def provider(lifetime: float) -> tuple[RenewingToken, Issuer, Clock]:
    issuer, clock = Issuer(lifetime), Clock()
    return RenewingToken(kind="test", endpoint="x", obtain=issuer, clock=clock), issuer, clock


@pytest.mark.parametrize(
    ("lifetime", "renewed_after"), [(6.0, 5.4), (600.0, 540.0), (12 * 3600.0, 3600.0)]
)
def test_renewed_at_90_percent_of_the_lifetime_or_after_an_hour(lifetime, renewed_after):
    tokens, issuer, clock = provider(lifetime)
    assert tokens.token() == "token-1"
    clock.now += renewed_after - 0.01
    assert tokens.token() == "token-1"
    clock.now += 0.02
    assert tokens.token() == "token-2"
    assert issuer.calls == 2


def test_a_failed_renewal_is_retried_at_most_once_a_second_until_expiry():
    tokens, issuer, clock = provider(10.0)
    tokens.token()
    issuer.failing = True
    clock.now += 9.2
    for _ in range(3):
        assert tokens.token() == "token-1"
    assert issuer.calls == 2
    clock.now += 0.5
    assert tokens.token() == "token-1"
    assert issuer.calls == 2
    clock.now += 0.6  # past expiry, and a second since the last try
    with pytest.raises(Unavailable):
        tokens.token()
    assert issuer.calls == 3
    with pytest.raises(Unavailable):
        tokens.token()
    assert issuer.calls == 3
    issuer.failing = False
    clock.now += 1.0
    assert tokens.token() == "token-4"


def test_a_refused_token_is_dropped_and_a_stale_refusal_ignored():
    tokens, issuer, _clock = provider(100.0)
    first = tokens.token()
    assert tokens.refused(first) is True
    second = tokens.token()
    assert second != first
    assert tokens.refused(first) is True  # another request's old token: keep the new one
    assert tokens.token() == second
    assert issuer.calls == 2
