"""The console's plumbing: templates, the signed-in user, CSRF checks, exports, wiring."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from claims.errors import Conflict, DomainError, NotFound
from service import errors
from service.auth.principal import Role
from service.console import accounts
from service.console.codes import explain, reason_words
from service.deps import SessionDep

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
TEMPLATES.env.globals.update(explain=explain, explain_reason=reason_words)
STATIC = "/console/static"
COOKIE = "ipsbill_console"


class SignInRequired(Exception):
    """No signed-in user: the browser is sent to the sign-in page."""


class Refused(Exception):
    """A console request refused (bad CSRF token, role may not): an HTML page, not JSON."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


async def signed_in(request: Request, session: SessionDep) -> accounts.Signed:
    idle = timedelta(minutes=request.app.state.settings.console_idle_minutes)
    signed = await accounts.current(session, request.cookies.get(COOKIE), idle)
    if signed is None:
        raise SignInRequired()
    request.state.key_id = signed.principal.key_id  # the audit trail names the console user
    request.state.console = signed
    return signed


SignedDep = Annotated[accounts.Signed, Depends(signed_in)]


def refusal(exc: DomainError) -> Refused:
    """A service error as a console page, with the status the API would have answered."""
    status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 422
    return Refused(status, exc.detail)


def allow(signed: accounts.Signed, *roles: Role) -> None:
    """The role rule of the matching API route (service.deps.require): admin may do all."""
    if signed.principal.role not in roles and signed.principal.role is not Role.ADMIN:
        raise Refused(403, f"The {signed.principal.role.value} role may not use this page.")


async def checked_form(request: Request, signed: SignedDep) -> dict[str, Any]:
    """The posted form, once its CSRF token matched the session's (or htmx's header)."""
    form = await request.form()
    sent = str(form.get("csrf_token") or request.headers.get("x-csrf-token") or "")
    if not secrets.compare_digest(sent.encode(), signed.csrf_token.encode()):
        raise Refused(403, "This form has expired or did not come from this console. Reload it.")
    return {key: value for key, value in form.items() if key != "csrf_token"}


FormDep = Annotated[dict[str, Any], Depends(checked_form)]


def page(request: Request, template: str, code: int = 200, /, **context: Any) -> HTMLResponse:
    signed = getattr(request.state, "console", None)
    context.update(request=request, signed=signed, static=STATIC)
    return TEMPLATES.TemplateResponse(request, template, context, status_code=code)


NO_SUCH_PAGE = (
    "There is no such console page: the address may be mistyped, or from an old bookmark."
)


def _console_page(request: Request) -> bool:
    path = request.url.path
    return (path == "/console" or path.startswith("/console/")) and not path.startswith(STATIC)


def _not_taken(problems: Sequence[Any]) -> str:
    """Which of the page's values was refused, by name only (a value may be a member's id)."""
    names = sorted({str(p["loc"][-1]) for p in problems if p.get("loc")})
    which = f" ({', '.join(names)})" if names else ""
    return (f"This page's address or form holds a value it does not take{which}. Go back and "
            "use the page's own links and forms.")  # fmt: skip


def export(name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> Response:
    """A list as CSV or as an Excel workbook (openpyxl), the same columns either way."""
    if fmt == "xlsx":
        # Imported here: openpyxl costs ~0.3 s to import, paid by every process that imports
        # the app (each server start) for a download few requests ask for.
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(list(columns))
        for row in rows:
            sheet.append([str(v) if not isinstance(v, int | str) else v for v in row])
        buffer = io.BytesIO()
        book.save(buffer)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return _attachment(buffer.getvalue(), media, f"{name}.xlsx")
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return _attachment(text.getvalue().encode(), "text/csv", f"{name}.csv")


def _attachment(body: bytes, media: str, filename: str) -> Response:
    disposition = f'attachment; filename="{filename}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/console",
    )


def install(app: FastAPI) -> None:
    """Static files, the console's routes and error pages, and /docs from local assets."""
    from service.console import (
        claim_pages,
        finance,
        job_pages,
        provider,
        remittances,
        session_pages,
    )

    app.mount(STATIC, StaticFiles(directory=str(HERE / "static")), name="console-static")
    for module in (session_pages, finance, claim_pages, provider, job_pages, remittances):
        app.include_router(module.router)

    @app.exception_handler(SignInRequired)
    async def _to_sign_in(request: Request, _exc: SignInRequired) -> Response:
        if request.headers.get("hx-request"):  # htmx follows this header, not a 303
            return Response(status_code=204, headers={"HX-Redirect": "/console/login"})
        return RedirectResponse("/console/login?next=" + request.url.path, status_code=303)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        return page(request, "refused.html", exc.status, message=exc.message)

    # A hand-typed or stale console address is answered with a page, not the API's problem
    # JSON; every other path keeps the API's answers (service/errors.py).
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if not _console_page(request):
            return await errors.on_validation(request, exc)
        return page(request, "refused.html", 422, message=_not_taken(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not _console_page(request) or exc.status_code != 404:
            return await errors.on_http(request, exc)
        return page(request, "refused.html", 404, message=NO_SUCH_PAGE, heading="Page not found")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="ipsbill API",
            swagger_js_url=f"{STATIC}/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC}/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{STATIC}/vendor/swagger-ui/favicon-32x32.png",
        )
