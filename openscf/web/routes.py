"""The dashboard's pages and form handlers.

Authentication: the browser session of `openscf.app.auth` (the same ``openscf_session``
cookie the REST API accepts, so a user logged in here can also call /v1 from the page).
Every request looks the session up again; a page needs a role of the user's organisation
(``/anchor`` an anchor ...), the auditor page an auditor or the operator, and every
record shown comes through `ReadModel`, which hides other organisations' records exactly
as if they did not exist.

CSRF: every POST carries the session's synchronizer token in a ``csrf_token`` field,
checked in constant time by `Authenticator.check_csrf` before anything runs. The login
form, which comes before any session, uses a double-submit token instead (a random value
in a SameSite=Strict cookie, echoed by the form). Cookies are SameSite, HttpOnly for the
session, and Secure unless the server was told otherwise.

Forms post to ``/{role}/actions/{name}``; the handler builds one command (a form that
types an amount into an irrevocable command first shows it back, "Confirm 12,500.00 EUR
to ..., due ...?", and runs only when that question is answered), runs it as the
logged-in user through `NetworkService.handle` (which authorizes it: role, maker-checker,
holder-only moves ...), then redirects back to the page with a short note (post /
redirect / get), or shows the page again with the refusal's message next to the form and
the HTTP status of the one table (`openscf.errors.STATUS_TABLE`, which the API answers
from too). Nothing a person types can raise past this. An error on the system's side (the
log's integrity, a bug) is not the person's to correct: it raises on, and the app answers
it with the server's error page (`openscf.api.errors`), a 500, never a 4xx.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from openscf.app import dilution_reads
from openscf.app.audit import audit, db_source
from openscf.app.auth import AuthenticationFailed, Authenticator, LoginThrottled, Principal
from openscf.app.clock import Clock
from openscf.app.queries import Database, ReadModel
from openscf.app.service import NetworkService
from openscf.domain.errors import NotFound, OpenSCFError, PermissionDenied
from openscf.domain.money import CURRENCY_EXPONENTS
from openscf.errors import http_answer
from openscf.logs import note_caller
from openscf.web import risk, views
from openscf.web.forms import ACTIONS, ID, Form
from openscf.web.recovery import recovery_view
from openscf.web.review import review_view
from openscf.web.trouble import trouble_view

__all__ = ["SESSION_COOKIE", "Dashboard", "router"]

log = logging.getLogger("openscf.web")

# The API's cookie names (openscf.api.security): the session is shared with /v1.
SESSION_COOKIE = "openscf_session"
CSRF_COOKIE = "openscf_csrf"
LOGIN_COOKIE = "openscf_login_csrf"
ROLE_PAGES = ("anchor", "supplier", "funder", "auditor")
ROLE_TITLES = {"anchor": "Anchor", "supplier": "Supplier", "funder": "Funder", "auditor": "Auditor"}
RECEIVABLE_ID = re.compile(r"^rcv_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
HERE = Path(__file__).parent
MAX_FORM_FIELDS = 40

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass
class Dashboard:
    """What the pages need, built once by `openscf.web.mount`."""

    engine: Database
    service: NetworkService
    auth: Authenticator
    reads: ReadModel
    clock: Clock
    secure_cookies: bool
    session_max_age: int
    env: Environment


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = views.money  # every amount shown: openscf.domain.money.format_amount
    env.filters["rate"] = views.rate
    env.globals["exponents"] = CURRENCY_EXPONENTS
    env.filters["percent"] = views.rate
    return env


router = APIRouter(include_in_schema=False)


def _dash(request: Request) -> Dashboard:
    found: Dashboard = request.app.state.openscf_web
    return found


def _principal(request: Request) -> Principal | None:
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        return None
    try:
        who = _dash(request).auth.authenticate_session(session)
    except AuthenticationFailed:
        return None
    note_caller(who.org_id, who.user_id)  # for the request's log line
    return who


def _pages_of(who: Principal) -> list[str]:
    pages = [r for r in ("anchor", "supplier", "funder") if who.has_role(r)]
    if who.reads_everything:
        pages.append("auditor")
    return pages


def _render(
    request: Request, template: str, status: int = 200, who: Principal | None = None, **context: Any
) -> HTMLResponse:
    dash = _dash(request)
    org_name = ""
    if who is not None:
        try:
            org_name = dash.reads.organisation(who, who.org_id).name
        except NotFound:  # pragma: no cover - a session outlives no organisation
            org_name = who.org_id
    html = dash.env.get_template(template).render(
        who=who,
        org_name=org_name,
        pages=_pages_of(who) if who else [],
        titles=ROLE_TITLES,
        csrf=who.csrf_token if who else "",
        today=dash.clock.now().date(),
        error=context.pop("error", None),
        done=context.pop("done", None),
        active=context.pop("active", ""),
        step=context.pop("step", None),
        form=context.pop("form", {}),
        report=context.pop("report", None),
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


@dataclass
class Step:
    """A question the person answers before an irrevocable command is sent.

    `fields` are the form as typed (without the CSRF token), posted again with
    ``confirmed=yes`` when the person says yes; the command is then built from them anew.
    """

    role: str
    action: str
    question: str
    fields: list[tuple[str, str]]


@dataclass
class ShownError:
    """A refusal as the page shows it: next to the form that caused it."""

    action: str
    target: str
    code: str
    message: str
    param: str | None


# --- login and logout ------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    who = _principal(request)
    if who is None:
        return _redirect("/login")
    pages = _pages_of(who)
    if not pages:
        return _render(
            request,
            "error.html",
            403,
            who,
            title="No dashboard for this role",
            message="Your organisation has no role with a dashboard "
            "(anchor, supplier, funder or auditor).",
        )
    return _redirect(f"/{pages[0]}")


def _login_page(
    request: Request, status: int = 200, message: str | None = None, login: str = ""
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = _render(
        request, "login.html", status, None, login_token=token, login_error=message, login=login
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        path="/login",
        secure=_dash(request).secure_cookies,
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    if _principal(request) is not None:
        return _redirect("/")
    return _login_page(request)


async def _form(request: Request) -> dict[str, str]:
    try:
        data = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    except Exception:  # a malformed body is bad input, never a crash
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)}


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await _form(request)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    given = form.get("login_token", "")
    login_name = form.get("login", "")[:64]
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        return _login_page(request, 403, "The login form expired; please try again.", login_name)
    dash = _dash(request)
    address = request.client.host if request.client else None
    try:
        session = await run_in_threadpool(
            lambda: dash.auth.login_with_password(
                login_name, form.get("password", ""), address=address
            )
        )
    except LoginThrottled as exc:
        page = _login_page(
            request,
            429,
            f"Too many failed logins; try again in {exc.retry_after_seconds} seconds.",
            login_name,
        )
        page.headers["Retry-After"] = str(exc.retry_after_seconds)
        return page
    except AuthenticationFailed as exc:
        message = (
            "This user is disabled; ask an admin of your organisation."
            if exc.code == "user_disabled"
            else "Wrong login or password."
        )
        return _login_page(request, 401, message, login_name)
    response = _redirect("/")
    secure, age = dash.secure_cookies, dash.session_max_age
    response.set_cookie(
        SESSION_COOKIE,
        session.session_id,
        max_age=age,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
    response.set_cookie(
        CSRF_COOKIE,
        session.principal.csrf_token or "",
        max_age=age,
        path="/",
        secure=secure,
        httponly=False,
        samesite="lax",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout", response_class=HTMLResponse)
async def logout(request: Request) -> Response:
    form = await _form(request)
    who = _principal(request)
    if who is None:
        return _redirect("/login")
    dash = _dash(request)
    try:
        dash.auth.check_csrf(who, form.get("csrf_token"))
    except PermissionDenied:
        return _render(
            request,
            "error.html",
            403,
            who,
            title="Log out failed",
            message="The form expired; reload the page and log out again.",
        )
    await run_in_threadpool(dash.auth.end_session, who)
    response = _redirect("/login")
    for name, http_only in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(
            name, path="/", secure=dash.secure_cookies, httponly=http_only, samesite="lax"
        )
    return response


# --- the role pages -------------------------------------------------------------------------


def _role_context(dash: Dashboard, who: Principal, role: str) -> dict[str, Any]:
    context = _role_view(dash, who, role)
    context["recovery"] = recovery_view(dash.reads, who, role)
    context["review"] = review_view(dash.reads, who, role)
    context["risk"] = _risk_context(dash, who, role, context)
    if "names" not in context:  # the auditor's page names organisations only here
        context["names"] = views._names(dash.reads, who)
    return context


def _risk_context(
    dash: Dashboard, who: Principal, role: str, context: dict[str, Any]
) -> dict[str, Any]:
    """Scores and prices on the role's page (openscf.web.risk): each only to whom it
    concerns, through the risk ledger's visibility rules."""
    if role == "supplier":
        ids = [p.id for p in context["held"]] + [
            r.request.receivable_id for r in context["requests"]
        ]
        return {
            "score": risk.own_score(dash.reads, who),
            "prices": risk.prices_for(dash.reads, who, ids),
        }
    if role == "funder":
        ids = [b.request.receivable_id for b in context["biddable"]]
        return {"prices": risk.prices_for(dash.reads, who, ids)}
    if role == "auditor":
        return {"decisions": risk.decision_panel(dash.reads, who)}
    return {}


def _role_view(dash: Dashboard, who: Principal, role: str) -> dict[str, Any]:
    today = dash.clock.now().date()
    if role == "anchor":
        context = views.anchor_view(dash.reads, who, today)
        context["documents"] = _trade_documents(dash, who)
        return context
    if role == "supplier":
        return views.supplier_view(dash.reads, who, today)
    if role == "funder":
        return views.funder_view(dash.reads, who, today)
    return views.auditor_view(dash.reads, who)


def _trade_documents(dash: Dashboard, who: Principal) -> list[dict[str, Any]]:
    """The anchor's imported invoices with their validation and three-way match results."""
    from openscf.app.trade import TradeDesk

    docs = TradeDesk(dash.service).documents(org_id=who.org_id, kind="invoice", limit=30)
    # An override of a failed match waits for a checker: say so, and where it is approved.
    waiting = {
        json.loads(a.payload_json).get("document_id"): a.id
        for a in views._all(
            dash.reads.approvals,
            lambda a: a.id,
            caller=who,
            status="pending",
            kind="match_override",
        )
    }
    for doc in docs:
        doc["override"] = waiting.get(doc.get("id"))
        findings = doc.get("findings") or []
        doc["fatal"] = [f for f in findings if f.get("severity") == "fatal"]
        lines = (doc.get("match") or {}).get("lines") or []
        doc["issues"] = [
            f"line {ln.get('invoice_line_id')}: {ln.get('status')}"
            for ln in lines
            if ln.get("status") != "matched"
        ]
    return docs


def _may_open(who: Principal, role: str) -> bool:
    return role in _pages_of(who)


def _role_page(
    request: Request, who: Principal, role: str, status: int = 200, **extra: Any
) -> HTMLResponse:
    context = _role_context(_dash(request), who, role)
    context["trouble"] = trouble_view(_dash(request).reads, who, role)
    return _render(request, f"{role}.html", status, who, active=role, **context, **extra)


DONE_MESSAGES = {name: action.done for name, action in ACTIONS.items()}
DONE_MESSAGES["accept_offer"] = (
    "Offer accepted: the funder pays you the cash and now holds the piece you sold"
)
DONE_MESSAGES["confirm_pending"] = (
    "Above the approval threshold: the confirmation waits for "
    "a second user (a checker) to approve it"
)


def _done_note(request: Request) -> str | None:
    name = request.query_params.get("done", "")
    if name not in DONE_MESSAGES:
        return None
    ref = request.query_params.get("ref", "")
    note = DONE_MESSAGES[name]
    return f"{note} ({ref})" if ID.match(ref) else note


def _page(role: str) -> Any:
    def page(request: Request) -> Response:
        who = _principal(request)
        if who is None:
            return _redirect("/login")
        if not _may_open(who, role):
            return _render(
                request,
                "error.html",
                403,
                who,
                title="Not your dashboard",
                message=f"This page is for organisations with the {role} role.",
            )
        return _role_page(request, who, role, done=_done_note(request))

    page.__name__ = f"{role}_page"
    return page


for _role in ROLE_PAGES:
    router.add_api_route(f"/{_role}", _page(_role), methods=["GET"], response_class=HTMLResponse)


def _currency(dash: Dashboard, who: Principal, form: Form) -> str:
    """The currency a form's amounts are in: the program's or the piece's."""
    if form.get("program_id"):
        return dash.reads.program(who, form["program_id"]).currency
    if form.get("receivable_id"):
        return dash.reads.receivable(who, form["receivable_id"]).currency
    if form.get("request_id"):
        request = dash.reads.financing_request(who, form["request_id"])
        return dash.reads.receivable(who, request.receivable_id).currency
    if form.get("invoice_id"):
        return dash.reads.invoice(who, form["invoice_id"]).currency
    if form.get("dispute_id"):
        return dilution_reads.dispute(dash.reads, who, form["dispute_id"]).currency
    return "EUR"


def _org_name(dash: Dashboard, who: Principal) -> Any:
    def name(org_id: str) -> str:
        try:
            return dash.reads.organisation(who, org_id).name
        except NotFound:
            return org_id

    return name


def _run_action(dash: Dashboard, who: Principal, name: str, form: Form) -> tuple[str, str | None]:
    """Run the form's command as the user: (what to say, the id to name).

    When the form has a question not yet answered, nothing runs: ("ask", the question).
    """
    action = ACTIONS[name]
    currency = _currency(dash, who, form)
    command = action.build(form, currency)
    if action.ask is not None and form.get("confirmed") != "yes":
        question = action.ask(command, currency, _org_name(dash, who))
        if question is not None:
            return "ask", question
    outcome = dash.service.handle(who.user_id, command)
    types = {e.get("type") for e in outcome.events}
    created = outcome.created
    if "ConfirmationRequested" in types:
        return "confirm_pending", created.get("approval_id")
    # A piece sold or passed on: name the piece the user held (its page shows what became
    # of it), not the new piece, which belongs to the buyer or recipient.
    if name == "accept_offer":
        offer, _ = dash.reads.financing_offer(who, form["offer_id"])
        return name, dash.reads.financing_request(who, offer.request_id).receivable_id
    if name == "transfer":
        return name, created.get("part_id") or form.get("receivable_id")
    for key in (
        "new_receivable_id",
        "receivable_id",
        "recourse_id",
        "request_id",
        "offer_id",
        "approval_id",
        "claim_id",
        "dispute_id",
        "credit_id",
    ):
        value = created.get(key)
        if isinstance(value, str):
            return name, value
    return name, None


async def act(request: Request, role: str, name: str) -> Response:
    form = await _form(request)
    who = _principal(request)
    if who is None:
        return _redirect("/login")
    action = ACTIONS.get(name)
    if action is None or action.role != role:
        return _render(
            request,
            "error.html",
            404,
            who,
            title="No such form",
            message="This form does not exist; go back to your dashboard.",
        )
    if not _may_open(who, role):
        return _render(
            request,
            "error.html",
            403,
            who,
            title="Not your dashboard",
            message=f"This page is for organisations with the {role} role.",
        )
    dash = _dash(request)
    try:
        dash.auth.check_csrf(who, form.get("csrf_token"))
        done, ref = await run_in_threadpool(_run_action, dash, who, name, form)
    except OpenSCFError as exc:
        if exc.fault == "system":
            raise  # not the person's to correct: the server's error page (openscf.api.errors)
        shown = ShownError(name, form.get(action.target, "")[:80], exc.code, exc.message, exc.param)
        log.info("dashboard form %s refused for %s: %s", name, who.user_id, exc.code)
        return await run_in_threadpool(
            _role_page, request, who, role, http_answer(exc).status, error=shown, form=form
        )
    if done == "ask" and ref is not None:
        fields = [(k, v) for k, v in form.items() if k not in ("csrf_token", "confirmed")]
        step = Step(role, name, ref, fields)
        return await run_in_threadpool(_role_page, request, who, role, step=step, form=form)
    query = {"done": done, **({"ref": ref} if ref else {})}
    return _redirect(f"/{role}?{urlencode(query)}")


def _actions_of(role: str) -> Any:
    async def actions(request: Request, name: str) -> Response:
        return await act(request, role, name)

    actions.__name__ = f"{role}_actions"
    return actions


# The auditor page is also the operator's: its trouble forms (declaring an obligor in
# default, recoveries, closing a claim) are the operator's to use, and the domain refuses
# them to an auditor.
for _role in ("anchor", "supplier", "funder", "auditor"):
    router.add_api_route(
        f"/{_role}/actions/{{name}}",
        _actions_of(_role),
        methods=["POST"],
        response_class=HTMLResponse,
    )


# --- the auditor's verification and the chain of custody ---------------------------------------


@router.post("/auditor/verify", response_class=HTMLResponse)
async def verify(request: Request) -> Response:
    """Run the independent auditor over the whole log. Returns a fragment for htmx-style
    requests (header HX-Request), else the auditor page with the report."""
    form = await _form(request)
    who = _principal(request)
    if who is None:
        return _redirect("/login")
    if not who.reads_everything:
        return _render(
            request,
            "error.html",
            403,
            who,
            title="Not your dashboard",
            message="Only auditors and the operator run the verification.",
        )
    dash = _dash(request)
    try:
        dash.auth.check_csrf(who, form.get("csrf_token"))
    except PermissionDenied as exc:
        return _render(
            request, "error.html", 403, who, title="Verification not started", message=exc.message
        )
    report = await run_in_threadpool(audit, db_source(dash.engine))
    if request.headers.get("HX-Request") == "true":
        return _render(request, "_verification.html", 200, who, report=report)
    return await run_in_threadpool(_role_page, request, who, "auditor", 200, report=report)


@router.get("/custody", response_class=HTMLResponse)
def custody_lookup(request: Request, receivable_id: str = "") -> Response:
    """The auditor's lookup form: go to the piece's page."""
    who = _principal(request)
    if who is None:
        return _redirect("/login")
    receivable_id = receivable_id.strip()
    if not RECEIVABLE_ID.match(receivable_id):
        return _render(
            request,
            "error.html",
            400,
            who,
            title="Not a receivable id",
            message="A receivable id looks like rcv_01J...; copy it from a table.",
        )
    return _redirect(f"/receivables/{receivable_id}")


@router.get("/receivables/{receivable_id}", response_class=HTMLResponse)
def receivable_page(request: Request, receivable_id: str) -> Response:
    who = _principal(request)
    if who is None:
        return _redirect("/login")
    not_found = _render(
        request,
        "error.html",
        404,
        who,
        title="Receivable not found",
        message="There is no receivable with this id that your organisation may see.",
    )
    if not RECEIVABLE_ID.match(receivable_id):
        return not_found
    try:
        context = views.receivable_view(_dash(request).reads, who, receivable_id)
    except NotFound:
        return not_found
    return _render(request, "receivable.html", 200, who, **context)
