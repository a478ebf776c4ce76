"""Identifier checks shared by intake and the 837P release checks."""

from __future__ import annotations

# CMS NPI standard: the check digit is Luhn over the 9 leading digits prefixed with 80840
# (the ISO 7812 issuer prefix for US health), so "80840" + first nine digits + check digit.
_NPI_PREFIX = "80840"


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def npi_is_valid(npi: str) -> bool:
    return len(npi) == 10 and npi.isdigit() and luhn_valid(_NPI_PREFIX + npi)
