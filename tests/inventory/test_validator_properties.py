"""Every inventory validator, fed arbitrary text: the value is refused, or it is one safe word.

"Safe" is what the commands and generated files rely on: the value holds no line break, control character,
quote or space (so it cannot leave its line or its word in a configuration file), and ``shlex.quote`` of it
reads back (``shlex.split``) as exactly that value.
"""

import shlex

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from clusters import validators as v
from clusters.validators import UnsafeValue, line_safe

# Near-valid starts make hypothesis reach the accepting branches, then spoil them with whatever follows.
STARTS = st.sampled_from(
    ["", "gmx1a", "node1.example.co.jp", "127.0.0.1", "172.1.1.0/24", "::1", "fe80::1%", "fe80::%", "/OBJSVFILE",
     "/etc/cmcluster/gmax/control.sh", "root", "GMAXSCH", "/", "/X/", "/a/../b", "Asia/Tokyo"]
)  # fmt: skip
TEXT = st.builds(lambda start, tail: start + tail, STARTS, st.text(max_size=20))

VALIDATORS = [
    v.validate_hostname,
    v.validate_ip,
    v.validate_host_or_ip,
    v.validate_network,
    v.validate_safe_name,
    v.validate_unix_user,
    v.validate_absolute_path,
    v.validate_time_zone,
]


def accepted(validator, value) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("validator", VALIDATORS, ids=lambda f: f.__name__)
@settings(max_examples=300, deadline=None)
@given(value=TEXT)
def test_a_validator_refuses_the_value_or_it_is_one_safe_word(validator, value):
    if not accepted(validator, value):
        return
    line_safe(value, target="any generated file", spaces=False)  # raises UnsafeValue otherwise
    assert shlex.split(f"cmd {shlex.quote(value)} end") == ["cmd", value, "end"]
    directive = f"SUBNET                      {value}"
    assert directive.splitlines() == [directive] and directive.split() == ["SUBNET", value]


@settings(max_examples=300, deadline=None)
@given(tail=st.text(min_size=1, max_size=20))
def test_an_ipv6_scope_id_is_an_interface_name_or_refused(tail):
    for validator in (v.validate_ip, v.validate_host_or_ip, v.validate_network):
        value = f"fe80::1%{tail}"
        if accepted(validator, value):
            assert validator is not v.validate_network  # a subnet has no scope id
            assert all(ch.isascii() and (ch.isalnum() or ch in "_.-") for ch in tail) and len(tail) <= 15


@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=40))
def test_the_host_key_validator_refuses_the_value_or_it_is_one_line(value):
    if accepted(v.validate_host_key, value) and value:
        assert len(value.strip().splitlines()) == 1 and "\0" not in value


@pytest.mark.parametrize(
    "value",
    [
        "::1%1\nListenAddress 0.0.0.0\nForceCommand /bin/sh -c id",  # the reported attack on the lab's sshd
        "fe80::1%$(id)",
        "fe80::1%a;b",
        "fe80::1%" + "x" * 16,
        "fe80::1%lan0 x",
    ],
)
def test_a_scope_id_with_shell_or_line_breaks_is_refused(value):
    for validator in (v.validate_ip, v.validate_host_or_ip, v.validate_network):
        with pytest.raises(ValidationError):
            validator(value)


@pytest.mark.parametrize("value", ["fe80::1%lan0", "fe80::1%eth0.12", "fe80::1%2", "::1", "127.0.10.1"])
def test_an_interface_name_as_scope_id_is_accepted(value):
    v.validate_host_or_ip(value)
    v.validate_ip(value)


@pytest.mark.parametrize("value", ["172.1.1.0\nAUTO_RUN NO", "fe80::%lan0/64", "fe80::%$(id)/64", " 172.1.1.0"])
def test_a_subnet_with_a_line_break_or_a_scope_id_is_refused(value):
    with pytest.raises(ValidationError):
        v.validate_network(value)


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\0b", "a'b", 'a"b', "a`b", "a\u2028b", "a\x85b"])
def test_line_safe_refuses_line_breaks_nul_and_quotes(value):
    with pytest.raises(UnsafeValue):
        line_safe(value, target="x")
