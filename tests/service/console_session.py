"""A console user and a signed-in browser session over ASGI, for the console's suites."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from service.auth.principal import Role
from service.console import accounts

PASSWORD = "correct-horse-9"


async def add_user(app: FastAPI, username: str, role: str, **scope: Any) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await accounts.create_user(session, username, PASSWORD, Role(role), **scope)


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} in the page"
    return found.group(1)


async def sign_in(client: AsyncClient, username: str, password: str = PASSWORD) -> Any:
    form = await client.get("/console/login")
    token = hidden(form.text, "csrf_token")
    return await client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token},
    )


async def session_csrf(client: AsyncClient) -> str:
    return hidden((await client.get("/console")).text, "csrf_token")
