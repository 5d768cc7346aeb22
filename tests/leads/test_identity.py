import pytest

from leads.identity import InvalidEmail, email_key


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("  Foo.Bar@Example.COM ", "foo.bar@example.com"),
        ("JOHN@GMAIL.com", "john@gmail.com"),
        ("Ünï@Exämple.com", "ünï@exämple.com"),
        # NFD (decomposed) and NFC spellings are one identity.
        ("Zoe\u0301@example.com", "zoé@example.com"),
    ],
)
def test_email_key_strips_normalises_and_lower_cases(raw, key):
    assert email_key(raw) == key


@pytest.mark.parametrize("raw", ["", "   ", None, "no-at-sign", "a@b", "two@@example.com"])
def test_email_key_rejects_missing_or_invalid_addresses(raw):
    with pytest.raises(InvalidEmail):
        email_key(raw)


def _generated_addresses(n: int, seed: int = 42) -> list[str]:
    """Addresses built to sit on both sides of the fast path's edges."""
    import random

    rng = random.Random(seed)
    noisy_local, clean_local = "abcXYZ019._%+-'!#é", "abcXYZ019._%+-"
    noisy_label, clean_label = "abcXYZ019-é_", "abcXYZ019-"
    tlds = ["com", "io", "COM", "test", "local", "123", "x", "example", "fr", "onion", "c0m"]
    out = []
    for _ in range(n):
        clean = rng.random() < 0.6
        local_chars = clean_local if clean else noisy_local
        label_chars = clean_label if clean else noisy_label
        local = "".join(
            rng.choice(local_chars)
            for _ in range(rng.randint(1, 70 if rng.random() < 0.05 else 12))
        )
        labels = [
            "".join(
                rng.choice(label_chars)
                for _ in range(rng.randint(1, 66 if rng.random() < 0.03 else 8))
            )
            for _ in range(rng.randint(1, 3))
        ]
        out.append(f"{local}@{'.'.join(labels)}.{rng.choice(tlds)}")
    return out


def test_the_fast_path_accepts_only_what_email_validator_accepts_with_the_same_key():
    from email_validator import EmailNotValidError, validate_email

    from leads.identity import fast_email_key

    fast_hits = 0
    for address in _generated_addresses(20_000):
        key = fast_email_key(address)
        if key is None:
            continue
        fast_hits += 1
        try:
            normalised = validate_email(address, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise AssertionError(f"fast path accepted {address!r}: {exc}") from None
        assert key == normalised.lower(), address
    # The generator must exercise the fast path, not only the slow one.
    assert fast_hits > 1_000
