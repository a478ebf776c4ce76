"""A billed claim of 78.00 and HDI's 835 denial altered to name it, posted as a payer's file:
for the remittance suites (test_edi_remittance.py, test_edi_resolution.py, the console's)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from tests.service.edi_files import join, outside, reseal, segments
from tests.service.factories import billed_claim

EDI = {"Content-Type": "application/edi-x12"}
OTHER_NPI = "1123454567"  # the payee the outside file names: not our provider


async def post_edi(client: AsyncClient, headers: dict[str, str], text: str) -> dict[str, Any]:
    response = await client.post(
        "/v1/edi/inbound", content=text.encode(), headers={**headers, **EDI}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def claim_of_78(app: FastAPI, client: AsyncClient) -> tuple[dict[str, str], dict, str]:
    """One claim of 12 units at 6.50 = 78.00, billed to VAYA (default profile, NM1*PR NCLMEMCO)."""
    admin, claim, text = await billed_claim(app, client)
    assert claim["total_charge"] == "78.00"
    return admin, claim, text


def denial(
    claim_id: str,
    charge: str,
    paid: str = "0",
    *,
    payer_id: str | None = None,
    npi: str = OTHER_NPI,
    tax_id: str = "123456789",
    line_id: str = "1234",
    status: str = "4",
) -> str:
    """HDI's 835 denial (component separator ``|``) naming our claim in CLP01; each keyword
    alters one more element so the file passes one more check."""
    element, terminator, segs = segments(outside("835_hdi_denial.835"))
    out = []
    for seg in segs:
        parts = seg.split(element)
        if parts[0] == "CLP":
            parts[1:5] = [claim_id, status, charge, paid]
        elif parts[0] == "N1" and parts[1] == "PE":
            parts[4] = npi
        elif parts[0] == "REF" and parts[1] == "6R":
            parts[2] = line_id
        elif parts[0] == "REF" and parts[1] == "TJ":  # the payee's tax id
            parts[2] = tax_id
        out.append(element.join(parts))
        if payer_id and parts[0] == "N4" and len(out) < 12:  # the payer's N4 (1000A)
            out.append(element.join(["REF", "2U", payer_id]))
    return join(element, terminator, reseal(out, element))
