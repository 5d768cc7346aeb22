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
