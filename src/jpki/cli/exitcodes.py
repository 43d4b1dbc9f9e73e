"""Exit statuses, the same for every command (README has the table)."""

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    ERROR = 1  # card error or unexpected
    USAGE = 2  # usage error, or input rejected before the card was touched
    WRONG_PIN = 3  # wrong PIN, tries remain
    LOCKED = 4  # PIN locked
    NO_CARD = 5  # no PC/SC service, no reader, no card, or not a My Number card
    EXPIRING = 6  # expiring within the warning window
    EXPIRED = 7
    REFUSED = 8  # a PIN command refused to spend the last try or a try on an untrusted count
