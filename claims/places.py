"""The facility and congregate places of service YP630 is never billed in (packaged data).

docs/units.md, "Facility settings": YP630 def., "not in groups, facilities, and/or
congregate settings". A payer profile's ``excluded_places_of_service`` replaces the list.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources


@cache
def facility_places_of_service() -> frozenset[str]:
    """The packaged list (claims/data/facility_places_of_service.toml), read once per process."""
    text = resources.files("claims").joinpath("data/facility_places_of_service.toml")
    data = tomllib.loads(text.read_text(encoding="utf-8"))
    codes = [str(place["code"]) for place in data["place"]]
    if not codes or any(len(c) != 2 or not c.isdigit() for c in codes):
        raise ValueError("facility places of service must be two-digit CMS codes")
    return frozenset(codes)
