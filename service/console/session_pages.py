"""Sign-in and sign-out pages (docs/console.md, "Signing in")."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from service.console import accounts
from service.console.web import COOKIE, FormDep, page, set_session_cookie
from service.deps import SessionDep

router = APIRouter(prefix="/console", include_in_schema=False)
LOGIN_CSRF = "ipsbill_login_csrf"  # double-submit token: no session exists before sign-in


def _safe_next(target: str | None) -> str:
    """Only a console path: never an open redirect to another site."""
    if target and target.startswith("/console") and not target.startswith("/console/login"):
        return target
    return "/console"


def _login_page(request: Request, status: int = 200, message: str | None = None) -> Response:
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "login.html",
        status,
        login_csrf=token,
        message=message,
        next=_safe_next(request.query_params.get("next")),
    )
    response.set_cookie(
        LOGIN_CSRF, token, httponly=True, samesite="strict", path="/console/login",
        secure=request.url.scheme == "https",
    )  # fmt: skip
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=400)] = "/console",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF, "")
    if not expected or not secrets.compare_digest(csrf_token.encode(), expected.encode()):
        return _login_page(request, 403, "The sign-in form expired. Please try again.")
    outcome = await accounts.sign_in(session, username.strip(), password)
    if outcome.token is None:
        message = (
            "Too many failed sign-ins: this account is paused for a few minutes."
            if outcome.paused
            else "The username or password is not right."
        )
        return _login_page(request, 401, message)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, outcome.token)
    response.delete_cookie(LOGIN_CSRF, path="/console/login")
    return response


@router.post("/logout")
async def logout(request: Request, session: SessionDep, _form: FormDep) -> Response:
    await accounts.sign_out(session, request.cookies.get(COOKIE))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response
