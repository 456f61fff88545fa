"""The password policy: long enough, not the email, not one of the
passwords that attackers try first. Applied where a person chooses a
password (the first admin, a change); invitations get random ones."""

from store.errors import Refused

MIN_PASSWORD = 10
# The most common passwords of ten or more characters in published leaks;
# shorter ones are refused by length already.
COMMON = frozenset("""
1234567890 0123456789 12345678910 123456789a 1234567890a 123123123123 1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx3edc
a1234567890 aa12345678 abc1234567 abcd123456 abcdefghij asdfghjkl1 asdfghjkl; changeme123 iloveyou12 letmein123
password01 password12 password123 password1234 password12345 password! password1! passw0rd123 p@ssw0rd123
qwerty1234 qwerty12345 qwerty123456 qwertyuiop qwertyuiop1 qwertyuiop123 qazwsxedcr qazwsxedc123 welcome123
welcome1234 administrator admin12345 admin123456 administrator1 football123 baseball123 superman123 sunshine123
princess123 dragon1234 monkey12345 trustno1trustno1 starwars123 whatever123 1111111111 123qweasdzxc zaq12wsxcde
""".split())


def check_password(password: str, email: str) -> None:
    """Refused with what to choose instead when the password is one of the worst."""
    password = password or ""
    lowered = password.lower()
    local = email.strip().lower().partition("@")[0]
    if len(password) < MIN_PASSWORD:
        raise Refused(f"choose a password of at least {MIN_PASSWORD} characters")
    if lowered == email.strip().lower() or (len(local) >= 4 and local in lowered):
        raise Refused("choose a password that does not contain your email address")
    if lowered in COMMON or len(set(lowered)) <= 2:
        raise Refused("that password is one of the most common ones, which are tried first; choose another")
