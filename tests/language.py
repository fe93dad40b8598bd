"""What counts as text of the other language, for the tests that hold a page or the catalog to one language.

English shows no Japanese character (kana, kanji, full-width forms). Japanese shows no English word but the
technical terms of ``TERMS`` (commands, products, standards, as the manuals write them), IDs (A-24, #12, K.5,
hex digests), code-like words (SERVICE_CMD, ASCII, control.sh.log), paths and a file's suffix, and the names
given as ``allowed`` (what people entered: hosts, servers, users).
"""

import re

JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.\-/@:+#'’]*")

# English that a Japanese page keeps: product and command names, standards and units, as the manuals write them.
TERMS = set(
    """
    Groupmax Address Server Mail Server Object Server Replication Option ServiceGuard MC HP-UX UNIX Linux
    K.5 SHA256 SHA-256 SSH OpenSSH ssh-ed25519 ssh-rsa ecdsa-sha2-nistp256 known_hosts IP IPv4 IPv6 LAN TCP OFF
    ON OK CSV PDF JSON API URL ID uid root GM_SETUP GroupMail GroupMail_tmp xodrc xodsetup resiobj nxsrepstat
    mhs_nadr_cfg cmviewcl cmrunpkg cmhaltpkg cmapplyconf cmcheckconf cmruncl cmhaltcl cmmodpkg vgchange
    gmpublicinfo adsrvn addrSV mailSV mlstatp cksum cmcluster xodstart adstatp addpkg nxcenvfile tar find follow
    tmp dbdir gmaxhost root:sys Django
    """.split()
)
CODE_LIKE = re.compile(r"^(?:[A-Z][A-Z0-9_]+|\w+(?:\.\w+)+)$")  # SERVICE_CMD, ASCII, AAAA; control.sh.log

ID = re.compile(r"^(?:[A-Z]{1,2}-(?:N|P)?\d+|#\d+|\d[\d.:,/-]*|[0-9a-f]{12,}|SHA256:\S+|\d+(?:\.\d+)*[a-z]*)$")


def english_words(text: str, allowed: set[str] = frozenset()) -> list[str]:
    """The English words of a Japanese ``text`` that none of the rules above lets through."""
    words = []
    for match in WORD.finditer(text):
        word = match.group().rstrip(".,:;'’")
        if len(word) < 2 or word in allowed or word in TERMS or ID.match(word) or CODE_LIKE.match(word):
            continue
        if "/" in word or text[match.start() - 1 : match.start()] in (".", "/"):  # a path, a file's suffix
            continue
        words.append(word)
    return words
